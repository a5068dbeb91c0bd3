"""What services return: plain data, ready for the CLI's `--json`, the web and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TaskSummary:
    id: str
    instance_id: int
    name: str
    name_en: str
    role: str
    form: str
    due_at: dt.datetime | None
    spec_id: str = ""
    instance_title: str = ""
    instance_version: int = 0
    assignee_user_id: int | None = None
    created_at: dt.datetime | None = None
    overdue: bool = False
    eligible_users: list[str] = field(default_factory=list)
    form_schema: dict[str, Any] | None = None
    # The form's batch decision (ui.batch) when tasks like this may be decided together (批量审批).
    batch: dict[str, Any] | None = None


@dataclass(frozen=True)
class StepOutcome:
    instance_id: int
    version: int
    status: str
    outcome: str
    event_seq: int
    next_tasks: list[TaskSummary]
    messages_delivered: int = 0
    # An ended case's outcome in the words of its end event (its diagram's name for it).
    outcome_name: str = ""
    outcome_name_en: str = ""
