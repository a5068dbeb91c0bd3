"""Run one step of an instance and write everything it changed, inside the caller's unit of work.

The order matters for statement count and lock time: the instance row was locked when it was
loaded; the workflow step runs in memory; then the inbox and timer rows are diffed against the
state before the step (no re-reading), the event is appended at the head of the chain (locking
the head only now, briefly), and the instance row is updated with an optimistic version check.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..actor import Actor
from ..errors import StaleSubmission
from ..journal import capture
from ..journal.capture import CHAINED_OPTION, journal_of
from ..journal.tables import CHAINED, image, table_of
from ..kernel import Kernel
from ..models import HumanTask, ProcessInstance, PublicLink, TimerRow, User
from ..models.org import ROLE_PUBLIC
from ..process import history
from ..process.calendar import WorkingCalendar
from ..process.catalog import LoadedVersion
from ..process.effects import EffectPort, LiveEffects
from ..process.helpers import StepHelpers
from ..process.projection import ReadyTask
from ..process.runtime import StepInput, StepResult, run_step
from ..process.serialization import state_hash
from ..process.service_tasks import ServiceContext, run_operation
from . import notifications, shared_reads
from .calendar_admin import load_calendar
from .service_calls import CallsAhead


@dataclass(frozen=True)
class EventMeta:
    """Who caused a step and what the log should say about it."""

    kind: str
    actor: Actor | None
    role: str = ""
    task_id: str = ""
    spec_id: str = ""
    payload: dict[str, Any] | None = None


def step_input_for(instance: ProcessInstance, kind: str, at: dt.datetime, **kwargs: Any) -> StepInput:
    """The input of the instance's next step; its seed makes task ids reproducible on replay."""
    return StepInput(kind=kind, at=at, seed=f"{instance.id}:{instance.version + 1}", **kwargs)


def compute(
    session: Session,
    kernel: Kernel,
    instance: ProcessInstance,
    version: LoadedVersion,
    step: StepInput,
    effects: EffectPort | None = None,
    *,
    ahead: CallsAhead | None = None,
    migrate_from: LoadedVersion | None = None,
) -> StepResult:
    """Run the step in memory (nothing written yet); a migration step names the version it leaves.

    With `ahead` the step is being computed ahead of the write lock: its service operations are
    tried and rolled back, and done again under the lock (`service_calls`); without, they write
    through the session as the step reaches them.
    """

    def context(on: Session) -> ServiceContext:
        return ServiceContext(on, instance.id, instance.branch_id, instance.village_id, step.at)

    def services(op: str, params: dict[str, Any]) -> Any:
        if ahead is not None:
            return ahead.call(context, op, params)
        return run_operation(context(session), op, params)

    def calendar() -> WorkingCalendar:
        if ahead is not None:
            return ahead.read_calendar(session, load_calendar)
        return load_calendar(session)

    return run_step(
        version,
        instance.state_json or None,
        step,
        effects if effects is not None else LiveEffects(),
        services=services,
        helpers=StepHelpers(step.at, calendar),
        time_limit=kernel.settings.script_time_limit,
        migrate_from=migrate_from,
    )


def persist(
    session: Session,
    kernel: Kernel,
    instance: ProcessInstance,
    version: LoadedVersion,
    step: StepInput,
    result: StepResult,
    meta: EventMeta,
) -> int:
    """Write the step's consequences; return the event's sequence number."""
    _sync_inbox(session, instance, result, step.at)
    _sync_timers(session, instance, result)
    payload = dict(meta.payload or {})
    if step.timers_at is not None:
        payload["timers_at"] = step.timers_at.isoformat()
    values = _instance_values(instance, result, step.at)
    _record_instance(session, instance, values)
    event = _event_of(
        instance,
        meta,
        payload,
        result.effects,
        (step.at, kernel.clock.now()),
        version.bundle_hash,
        result.snapshot,
    )
    return _append_with_instance(session, instance, event, values)


def _event_of(
    instance: ProcessInstance,
    meta: EventMeta,
    payload: dict[str, Any],
    effects: list[dict[str, Any]],
    times: tuple[dt.datetime, dt.datetime],
    bundle_hash: str,
    snapshot: str,
) -> history.NewEvent:
    """The case's next event: `times` are when its step ran and when it was recorded."""
    actor = meta.actor
    return history.NewEvent(
        instance_id=instance.id,
        instance_version=instance.version + 1,
        kind=meta.kind,
        payload=payload,
        effects=effects,
        business_time=times[0],
        recorded_at=times[1],
        bundle_hash=bundle_hash,
        state_hash=state_hash(snapshot),
        task_id=meta.task_id,
        spec_id=meta.spec_id,
        actor_user_id=actor.user_id if actor else None,
        actor=actor.username if actor else "system",
        role=meta.role,
    )


def _append_with_instance(
    session: Session, instance: ProcessInstance, event: history.NewEvent, values: dict[str, Any]
) -> int:
    """Append the event and update the case row as the step leaves it, its head the event's hash,
    checking that no one else moved it meanwhile (on PostgreSQL in the event's own statement)."""
    along = _instance_along(session, instance, values)
    try:
        appended = history.append(session, event, along)
    except history.AlongMissed:
        raise StaleSubmission(
            f"instance {instance.id} was changed by someone else meanwhile", instance_id=instance.id
        ) from None
    if along is None:
        _update_instance(session, instance, values, appended.hash)
    else:
        _updated(instance, {**values, "head_hash": appended.hash})
    return appended.seq


# The statements every step runs, built once: constructing and coercing them anew on each step
# costs more than executing them. A step that does not end its instance leaves the columns of its
# ending alone: setting an indexed column (status), even to its own value, rewrites index pages.
_ENDING_COLUMNS = ("status", "ended_at", "end_event", "outcome")
_STEP_COLUMNS = (
    "state_json",
    "version",
    "state_version",
    "updated_at",
    "task_count",
    "max_depth",
    "head_hash",
    "pending_messages",
    "title",
)


def _instance_update(columns: tuple[str, ...]) -> Any:
    return (
        update(ProcessInstance)
        .where(ProcessInstance.id == bindparam("b_id"), ProcessInstance.version == bindparam("b_old_version"))
        .values({column: bindparam(column) for column in columns})
        .execution_options(**{CHAINED_OPTION: True})  # recorded by _record_instance before the event
    )


_UPDATE_INSTANCE = _instance_update(_STEP_COLUMNS)
_UPDATE_ENDED_INSTANCE = _instance_update(_STEP_COLUMNS + _ENDING_COLUMNS)


def _instance_update_along(columns: tuple[str, ...]) -> Any:
    """The same update, to go with the event in its statement (`history.Along`): the case's head
    is the event's own hash, and the row it updated is returned (none: it moved meanwhile)."""
    values: dict[str, Any] = {column: bindparam(column) for column in columns if column != "head_hash"}
    return (
        update(ProcessInstance)
        .where(ProcessInstance.id == bindparam("b_id"), ProcessInstance.version == bindparam("b_old_version"))
        .values({**values, "head_hash": bindparam("hash")})
        .returning(ProcessInstance.id)
    )


_ALONG_STEP = _instance_update_along(_STEP_COLUMNS)
_ALONG_ENDING = _instance_update_along(_STEP_COLUMNS + _ENDING_COLUMNS)


def _instance_along(
    session: Session, instance: ProcessInstance, values: dict[str, Any]
) -> history.Along | None:
    """On PostgreSQL the case row's update goes with the event, in one statement."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    ending = "status" in values
    return history.Along(
        "instance-ending" if ending else "instance",
        _ALONG_ENDING if ending else _ALONG_STEP,
        {**values, "b_id": instance.id, "b_old_version": instance.version},
    )


_USERS_OF_MEMBERS = select(User.member_id, User.id).where(
    User.member_id.in_(bindparam("ids", expanding=True))
)
_INSTANCES = table_of("process_instance")


def _instance_values(instance: ProcessInstance, result: StepResult, at: dt.datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "state_json": result.snapshot,
        "version": instance.version + 1,
        "state_version": instance.state_version + 1,
        "updated_at": at,
        "task_count": result.task_count,
        "max_depth": result.max_depth,
        "pending_messages": instance.pending_messages,
        "title": result.title or instance.title,
    }
    if result.completed:
        values.update(status=result.ended_as, ended_at=at, end_event=result.end_event, outcome=result.outcome)
    return values


def _record_instance(session: Session, instance: ProcessInstance, values: dict[str, Any]) -> None:
    """The instance row as the step leaves it, into the event about to be appended (its head hash
    is the event's own, which the chain proves)."""
    spec = CHAINED["process_instance"]
    journal_of(session).add("process_instance", "update", instance.id, image(spec, _INSTANCES, values))


def _update_instance(
    session: Session, instance: ProcessInstance, values: dict[str, Any], head_hash: str
) -> None:
    values = {**values, "head_hash": head_hash}
    statement = _UPDATE_ENDED_INSTANCE if "status" in values else _UPDATE_INSTANCE
    outcome = session.connection().execute(
        statement, {**values, "b_id": instance.id, "b_old_version": instance.version}
    )
    if outcome.rowcount != 1:
        raise StaleSubmission(
            f"instance {instance.id} was changed by someone else meanwhile", instance_id=instance.id
        )
    _updated(instance, values)


def _updated(instance: ProcessInstance, values: dict[str, Any]) -> None:
    for key, value in values.items():
        # Written by a statement: record as loaded, or the ORM would write it all again at commit.
        set_committed_value(instance, key, value)


# The public links of tasks a step took out of the inbox (an evaluation's deadline passing).
_CLOSE_LINKS = (
    update(PublicLink)
    .where(PublicLink.task_id.in_(bindparam("gone", expanding=True)), PublicLink.closed_at.is_(None))
    .values(closed_at=bindparam("at"))
    .returning(PublicLink.token)
    .execution_options(**{CHAINED_OPTION: True})  # recorded by capture.update_returning
)


def _sync_inbox(session: Session, instance: ProcessInstance, result: StepResult, at: dt.datetime) -> None:
    gone = sorted(result.ready_before - result.ready_ids)
    if gone:
        capture.delete_keys(session, HumanTask, gone)
        if result.public_gone(set(gone)):
            _close_links(session, instance, gone, at)
    new = result.new_ready
    if not new:
        return
    users = _users_of_members(
        session, [t.assignee_member_id for t in new if t.assignee_member_id is not None]
    )
    rows = [_inbox_row(instance, task, users, at) for task in new]
    capture.insert_rows(session, HumanTask, rows)
    _notify_new_tasks(session, instance, rows, at)
    public = [task for task in new if task.role == ROLE_PUBLIC]
    if public:
        tokens = {task.id: secrets.token_urlsafe(18) for task in public}
        links = [
            {
                "token": tokens[task.id],
                "task_id": task.id,
                "instance_id": instance.id,
                "created_at": at,
                "expires_at": task.due_at,
            }
            for task in public
        ]
        capture.insert_rows(session, PublicLink, links)
        known = _links_known(session, instance.id)
        if known is not None:
            known.update(tokens)


_OPEN_LINKS = "xianfeng.open_links"
_OPEN_LINKS_OF = select(PublicLink.instance_id, PublicLink.task_id, PublicLink.token).where(
    PublicLink.instance_id.in_(bindparam("ids", expanding=True)), PublicLink.closed_at.is_(None)
)


@contextmanager
def open_links_known(session: Session, instance_ids: list[int]) -> Iterator[None]:
    """Within the block, the open public links of these cases (a tick batch's, whose rows the
    caller holds) are read once, in one statement, and kept as their steps open and close them:
    a step closing its links then needs no statement that returns which were open (an evaluation
    deadline closes each case's links). Only these cases' own steps change their links."""
    known: dict[int, dict[str, str]] = {instance_id: {} for instance_id in instance_ids}
    for instance_id, task_id, token in session.connection().execute(_OPEN_LINKS_OF, {"ids": instance_ids}):
        known[instance_id][task_id] = token
    session.info[_OPEN_LINKS] = known
    try:
        yield
    finally:
        session.info.pop(_OPEN_LINKS, None)


def _links_known(session: Session, instance_id: int) -> dict[str, str] | None:
    """The case's open links by task, where `open_links_known` holds them."""
    known: dict[int, dict[str, str]] | None = session.info.get(_OPEN_LINKS)
    return known.get(instance_id) if known is not None else None


def _close_links(session: Session, instance: ProcessInstance, gone: list[str], at: dt.datetime) -> None:
    """Close the public links of the tasks a step took out of the inbox."""
    known = _links_known(session, instance.id)
    if known is None:
        capture.update_returning(
            session, PublicLink, _CLOSE_LINKS, {"gone": gone, "at": at}, {"closed_at": at}
        )
        return
    tokens = [known.pop(task_id) for task_id in gone if task_id in known]
    capture.update_keys(session, PublicLink, tokens, {"closed_at": at})


def _notify_new_tasks(
    session: Session, instance: ProcessInstance, rows: list[dict[str, Any]], at: dt.datetime
) -> None:
    """One notification per person per step, naming the task(s) that await them."""
    waiting: dict[int, list[dict[str, Any]]] = {}
    scopes: dict[tuple[str, int | None], list[int]] = {}
    for row in rows:
        if row["assignee_user_id"] is not None:
            people = [row["assignee_user_id"]]
        else:
            key = (row["role"], row["branch_id"])
            if key not in scopes:
                scopes[key] = _role_holders(session, *key)
            people = scopes[key]
        for user_id in people:
            waiting.setdefault(user_id, []).append(row)
    for user_id, tasks in waiting.items():
        notifications.notify(
            session,
            [user_id],
            "task",
            tasks[0]["name"],
            at,
            body=instance.title,
            instance_id=instance.id,
            task_id=tasks[0]["id"],
        )


def _role_holders(session: Session, role: str, branch_id: int | None) -> list[int]:
    """Who holds the role a new task goes to (read once for a tick batch: `shared_reads`)."""
    return shared_reads.once(
        session,
        ("recipients", role, branch_id),
        lambda: notifications.recipients_for_task(session, role, branch_id, None),
    )


def _inbox_row(
    instance: ProcessInstance, task: ReadyTask, users: dict[int, int], at: dt.datetime
) -> dict[str, Any]:
    return {
        "id": task.id,
        "instance_id": instance.id,
        "spec_id": task.spec_id,
        "process_id": task.process_id,
        "name": task.name,
        "name_en": task.name_en,
        "role": task.role,
        "form": task.form,
        "assignee_user_id": users.get(task.assignee_member_id) if task.assignee_member_id else None,
        "branch_id": instance.branch_id,
        "village_id": instance.village_id,
        "mi_index": task.mi_index,
        "created_at": at,
        "due_at": task.due_at,
        "remind_days": task.remind_days,
        "escalate_to": task.escalate_to,
    }


def _users_of_members(session: Session, member_ids: list[int]) -> dict[int, int]:
    if not member_ids:
        return {}
    rows = session.connection().execute(_USERS_OF_MEMBERS, {"ids": sorted(set(member_ids))})
    return {member_id: user_id for member_id, user_id in rows if member_id is not None}


def _sync_timers(session: Session, instance: ProcessInstance, result: StepResult) -> None:
    now_waiting = {timer.id: timer for timer in result.timers}
    capture.delete_keys(session, TimerRow, sorted(result.timers_before - now_waiting.keys()))
    new = [timer for timer_id, timer in now_waiting.items() if timer_id not in result.timers_before]
    capture.insert_rows(
        session,
        TimerRow,
        [{"id": t.id, "instance_id": instance.id, "spec_id": t.spec_id, "due_at": t.due_at} for t in new],
    )


_RECORD_VERB = (
    update(ProcessInstance)
    .where(ProcessInstance.id == bindparam("b_id"), ProcessInstance.version == bindparam("b_old_version"))
    .values(
        version=bindparam("version"), head_hash=bindparam("head_hash"), updated_at=bindparam("updated_at")
    )
    .execution_options(**{CHAINED_OPTION: True})  # recorded before the event, as a step's update is
)


def record_verb(session: Session, kernel: Kernel, instance: ProcessInstance, meta: EventMeta) -> int:
    """Append an approver's verb (转办, 委派, 加签, 抄送, 催办…) to the chain.

    The workflow's state does not change, so the event carries the current snapshot's hash and
    only the event count (`version`) moves; `state_version`, which forms are checked against, stays.
    """
    at = kernel.clock.now()
    _record_instance(session, instance, {"version": instance.version + 1, "updated_at": at})
    bundle_hash = kernel.catalog.get(session, instance.process_version_id).bundle_hash
    event = history.append(
        session,
        _event_of(instance, meta, dict(meta.payload or {}), [], (at, at), bundle_hash, instance.state_json),
    )
    result = session.connection().execute(
        _RECORD_VERB,
        {
            "b_id": instance.id,
            "b_old_version": instance.version,
            "version": instance.version + 1,
            "head_hash": event.hash,
            "updated_at": at,
        },
    )
    if result.rowcount != 1:
        raise StaleSubmission(f"instance {instance.id} was changed by someone else meanwhile")
    for key, value in (("version", instance.version + 1), ("head_hash", event.hash), ("updated_at", at)):
        set_committed_value(instance, key, value)
    return event.seq
