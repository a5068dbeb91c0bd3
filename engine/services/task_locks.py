"""Reading a ready task with its instance, locked, in one statement: the first read of every step.

The row is read in Core and the two objects are attached to the session as if an ORM query had
loaded them (persistent, clean, in the identity map, so a change to them is flushed as usual). An
ORM query of two entities costs several times the statement itself, on every completion.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from ..errors import NotFound, StaleSubmission
from ..models import Event, HumanTask, ProcessInstance, TaskSigner

Model = TypeVar("Model", HumanTask, ProcessInstance)


def _columns(cls: type[Any]) -> list[tuple[str, Any]]:
    """(attribute, column) of every mapped column of a model, in mapper order."""
    return [(prop.key, prop.columns[0]) for prop in cls.__mapper__.column_attrs]


_TASK_COLUMNS = _columns(HumanTask)
_INSTANCE_COLUMNS = _columns(ProcessInstance)

# Whether a co-signer (加签) has yet to sign, read with the locked row: completing is the hot path,
# and a second query for the rare case would cost every completion a round trip.
_UNSIGNED = (
    exists()
    .where(TaskSigner.task_id == HumanTask.id, TaskSigner.signed_at.is_(None))
    .correlate(HumanTask.__table__)
    .label("unsigned")
)
_LOCKED = (
    select(*(c for _, c in _TASK_COLUMNS), *(c for _, c in _INSTANCE_COLUMNS), _UNSIGNED)
    .select_from(HumanTask.__table__.join(ProcessInstance.__table__))
    .where(HumanTask.__table__.c.id == bindparam("task_id"))
    .with_for_update(of=ProcessInstance.__table__)
)


def locked(session: Session, task_id: str) -> tuple[HumanTask, ProcessInstance, bool]:
    """The ready task, its instance (row-locked on PostgreSQL) and whether a co-signer must sign."""
    row = session.connection().execute(_LOCKED, {"task_id": task_id}).first()
    if row is None:
        raise why_not_ready(session, task_id)
    split = len(_TASK_COLUMNS)
    task = _as_loaded(session, HumanTask, _TASK_COLUMNS, row[:split])
    instance = _as_loaded(session, ProcessInstance, _INSTANCE_COLUMNS, row[split:-1])
    return task, instance, bool(row[-1])


def locked_task(session: Session, task_id: str) -> tuple[HumanTask, ProcessInstance]:
    task, instance, _unsigned = locked(session, task_id)
    return task, instance


def _as_loaded(session: Session, cls: type[Model], columns: list[tuple[str, Any]], values: Any) -> Model:
    """The session's object for this row: the one it already holds (as an ORM query would return
    it, unrefreshed), or a new one attached as persistent and clean."""
    values = dict(zip((key for key, _ in columns), values, strict=True))
    key = identity_key(cls, values["id"])
    held = session.identity_map.get(key)
    if held is not None:
        return held
    obj = cls(**values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def why_not_ready(session: Session, task_id: str) -> StaleSubmission | NotFound:
    """A task that is not ready was either done (say by whom and when: the page was stale) or never
    existed; the caller decides whether the asker may learn which."""
    done = session.execute(
        select(Event.actor, Event.business_time, Event.instance_id).where(
            Event.task_id == task_id, Event.kind == "complete"
        )
    ).first()
    if done is not None:
        return StaleSubmission(
            f"task {task_id} was already completed by {done[0]} at {done[1].isoformat()}",
            task_id=task_id,
            completed_by=done[0],
            completed_at=done[1],
            instance_id=done[2],
        )
    return NotFound(f"no ready task {task_id}", task_id=task_id)
