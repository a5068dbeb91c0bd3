"""Turning a step's result into what services return."""

from __future__ import annotations

from ..models import ProcessInstance
from ..process.catalog import LoadedVersion
from ..process.end_events import end_events
from ..process.projection import ReadyTask
from ..process.runtime import StepResult
from .results import StepOutcome, TaskSummary


def outcome_of(
    instance: ProcessInstance,
    result: StepResult,
    seq: int,
    delivered: int,
    version: LoadedVersion | None = None,
) -> StepOutcome:
    """What a step did; with its version, an ended case's outcome also in its end event's words."""
    new = result.new_ready
    ended = (
        next(
            (e for e in end_events(version) if e.element == result.end_event),
            None,
        )
        if version is not None and result.completed
        else None
    )
    return StepOutcome(
        instance_id=instance.id,
        version=instance.state_version,
        status=instance.status,
        outcome=instance.outcome,
        event_seq=seq,
        next_tasks=[summary_of(task, instance) for task in new],
        messages_delivered=delivered,
        outcome_name=ended.name if ended else "",
        outcome_name_en=ended.name_en if ended else "",
    )


def summary_of(task: ReadyTask, instance: ProcessInstance) -> TaskSummary:
    return TaskSummary(
        id=task.id,
        instance_id=instance.id,
        name=task.name,
        name_en=task.name_en,
        role=task.role,
        form=task.form,
        due_at=task.due_at,
        spec_id=task.spec_id,
        instance_title=instance.title,
        instance_version=instance.state_version,
    )
