"""Whether a submission for a task was made on a page of that task as it still is (per-task ETags).

A page (or an API client, through the ETag) names the instance's `state_version` when it was
read. Comparing that with the instance's version now made every step of the instance stale every
open page of it: when one of three evaluators submitted, the other two got 409 for forms they had
loaded a moment before, although nothing about their own tasks had changed.

A submission is stale only when its own task changed since the page was read:
- the task is no longer ready (completed by someone else, or taken away by a return or a timer):
  the task's row is gone, and the answer says who completed it and when, as before;
- the task is ready again, but as a newer run of the same step (a return made it ready once more
  after the page was read): the state version at which the task's current run became ready is
  later than the page's.

The state version at which the current run of a task became ready is read from the chain: the
latest event of the instance that inserted the task's inbox row also records the instance's new
`state_version`. It is only looked up when the versions differ (someone else stepped the
instance since the page was read), so an uncontested submission pays nothing for it.

Verbs (转办, 委派, 加签, 抄送, 催办) do not make a page stale: they are checked on their own
(a delegated task or unsigned co-signers refuse the completion).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import StaleSubmission
from ..models import Event, HumanTask, ProcessInstance
from .task_locks import why_not_ready


def check_fresh(
    session: Session, task: HumanTask, instance: ProcessInstance, expected_version: int | None
) -> None:
    """Refuse (StaleSubmission) a submission made on a page of `task` read at `expected_version`
    when the task changed since; None checks nothing (the command line, batch approval)."""
    if expected_version is None or expected_version == instance.state_version:
        return
    if expected_version > instance.state_version:
        raise _stale(instance, expected_version, "the page names a version the case has not reached")
    # Read afresh: on PostgreSQL the task row came with the lock wait's older snapshot.
    if session.execute(select(HumanTask.id).where(HumanTask.id == task.id)).first() is None:
        raise why_not_ready(session, task.id)
    ready_at = ready_version(session, instance.id, task.id)
    if ready_at is None or ready_at > expected_version:
        raise _stale(instance, expected_version, f"{task.name} became ready again since the page was read")


def ready_version(session: Session, instance_id: int, task_id: str) -> int | None:
    """The instance's state version right after the step that made the task's current run ready."""
    inserted = f'"key":"{task_id}","op":"insert","table":"human_task"'
    changes = session.execute(
        select(Event.changes)
        .where(Event.instance_id == instance_id, Event.changes.contains(inserted, autoescape=True))
        .order_by(Event.instance_version.desc())
        .limit(1)
    ).scalar()
    if changes is None:
        return None
    return _state_version_in(json.loads(changes), instance_id)


def _state_version_in(changes: list[dict[str, Any]], instance_id: int) -> int | None:
    found = None
    for change in changes:
        if change.get("table") == "process_instance" and change.get("key") == instance_id:
            value = (change.get("values") or {}).get("state_version")
            if isinstance(value, int):
                found = value
    return found


def _stale(instance: ProcessInstance, expected: int, why: str) -> StaleSubmission:
    return StaleSubmission(
        f"{why}: the page was read at version {expected} of instance {instance.id}, which is at "
        f"{instance.state_version} now: reload and try again",
        instance_id=instance.id,
    )
