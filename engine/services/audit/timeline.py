"""History at any point: a case's events, and the case as it stood after any one of them.

The state is computed by replaying the log from the first event on the pinned diagrams, never read
from a stored copy: what an auditor sees is what the chain proves. Each event is checked on the
way (its hash, its diagram bundle, its replayed state), so an edited log shows where it breaks
instead of a state nobody can vouch for. Nothing is cached across requests.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...errors import NotFound
from ...kernel import Kernel
from ...models import Branch, Event, ProcessInstance, ProcessVersion
from ...process.catalog import LoadedVersion
from ...process.end_events import end_events
from ...process.moments import CalledProcess, Moment, WaitingEvent, describe, element_names, step_names
from .. import authz
from ..disclosure import Disclosure, disclosure_of
from .replay import VERB_KINDS
from .timeline_fields import DataField, labelled_fields
from .timeline_people import OpenTask, People, open_task, people_of
from .timeline_replay import CaseReplay, EventCheck, InboxRow


@dataclass(frozen=True)
class TimelineEvent:
    seq: int
    instance_version: int
    kind: str
    task_id: str
    element: str
    task_name: str
    task_name_en: str
    actor: str  # the account name as logged ("system" for the timer, "public" for villagers)
    actor_name: str  # the person's name
    role: str
    business_time: dt.datetime
    process_version: int | None
    bundle_hash: str
    payload: Any
    changes_state: bool
    replay: str  # ok / failed / not_replayed
    problem: str


@dataclass(frozen=True)
class CaseMoment:
    event: TimelineEvent
    completed: list[str]
    current: list[str]
    open_tasks: list[OpenTask]
    waiting: list[WaitingEvent]
    called: list[CalledProcess]
    data: dict[str, Any]
    fields: list[DataField]
    finished: bool
    end_event: str
    outcome: str
    end_name: str = ""  # the outcome in the words of the end event, from the diagram
    end_name_en: str = ""


@dataclass(frozen=True)
class CaseHistory:
    instance_id: int
    title: str
    process_key: str
    status: str
    position: int
    events: list[TimelineEvent]
    moment: CaseMoment | None
    failure: str  # why there is no moment: the event that failed to replay, and how
    processes: list[str]  # the diagrams to show: the case's process, then those running inside it

    def neighbours(self) -> tuple[int | None, int | None]:
        """The positions before and after the chosen one (None at either end)."""
        versions = [event.instance_version for event in self.events]
        index = versions.index(self.position)
        return (
            versions[index - 1] if index > 0 else None,
            versions[index + 1] if index + 1 < len(versions) else None,
        )


def case_at(kernel: Kernel, actor: Actor, instance_id: int, position: int | None = None) -> CaseHistory:
    """The case's events and its state after event `position` (an instance version; default the last)."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"no instance {instance_id}", instance_id=instance_id)
        authz.check_may_read(actor, instance)
        events = list(
            session.execute(
                select(Event).where(Event.instance_id == instance_id).order_by(Event.instance_version)
            ).scalars()
        )
        at = _position(instance_id, events, position)
        version = kernel.catalog.get(session, instance.process_version_id)
        walk = _walk(kernel, version, instance_id, events, at)
        people = people_of(session, events, walk.rows)
        disclosure = disclosure_of(version)
        logged = _timeline(session, instance.process_key, version, events, walk.checks, people)
        timeline = [_readable(e, event, actor, disclosure) for e, event in zip(logged, events, strict=True)]
        branch = session.get(Branch, instance.branch_id) if instance.branch_id is not None else None
        scope = branch.name if branch is not None else ""
    found = CaseHistory(
        instance_id=instance.id,
        title=instance.title,
        process_key=instance.process_key,
        status=instance.status,
        position=at,
        events=timeline,
        moment=None,
        failure=walk.failure,
        processes=[instance.process_key],
    )
    if walk.moment is None:
        return found
    chosen = next(entry for entry in timeline if entry.instance_version == at)
    opened = [open_task(row, people, scope) for row in walk.rows]
    running = [called.process_id for called in walk.moment.called if called.running]
    return replace(
        found,
        moment=_case_moment(kernel, instance, version, chosen, walk, opened, actor),
        processes=list(dict.fromkeys([instance.process_key, *running])),
    )


def _position(instance_id: int, events: list[Event], position: int | None) -> int:
    if not events:
        raise NotFound(f"instance {instance_id} has no events", instance_id=instance_id)
    last = events[-1].instance_version or 0  # an instance's events always carry their number
    if position is None:
        return last
    if position not in {event.instance_version for event in events}:
        raise NotFound(
            f"instance {instance_id} has no event {position}: its events are numbered 1 to {last}",
            instance_id=instance_id,
            position=position,
        )
    return position


@dataclass
class _Walk:
    checks: list[EventCheck]
    rows: list[InboxRow]
    moment: Moment | None
    before: Moment | None
    failure: str


def _walk(kernel: Kernel, version: LoadedVersion, instance_id: int, events: list[Event], at: int) -> _Walk:
    """Replay every event (each one's check is listed); describe the state at `at` and just before it."""
    replay = CaseReplay(kernel, version, instance_id)
    checks, rows = [], []
    snapshot_at: str | None = None
    snapshot_before: str | None = None
    for event in events:
        if event.instance_version == at:
            snapshot_before = replay.snapshot
        check = replay.apply(event)
        checks.append(check)
        if event.instance_version == at and check.status == "ok":
            snapshot_at, rows = replay.snapshot, replay.open_rows()
    failure = next(
        (
            f"event {e.instance_version}: {c.problem}"
            for e, c in zip(events, checks, strict=True)
            if c.problem
        ),
        "",
    )
    if snapshot_at is None:
        return _Walk(checks, [], None, None, failure)
    before = describe(version, snapshot_before) if snapshot_before else None
    return _Walk(checks, rows, describe(version, snapshot_at), before, "")


def _timeline(
    session: Session,
    process_key: str,
    version: LoadedVersion,
    events: list[Event],
    checks: list[EventCheck],
    people: People,
) -> list[TimelineEvent]:
    numbers = dict(
        session.execute(
            select(ProcessVersion.bundle_hash, ProcessVersion.version).where(
                ProcessVersion.process_key == process_key
            )
        ).all()
    )
    names, steps = element_names(version), step_names(version)
    entries = []
    for event, check in zip(events, checks, strict=True):
        payload = _payload(event.payload)
        element = _element(event, payload, check, steps)
        name, name_en = _step_name(element, names, payload)
        entries.append(
            TimelineEvent(
                seq=event.seq,
                instance_version=event.instance_version or 0,
                kind=event.kind,
                task_id=event.task_id,
                element=element,
                task_name=name,
                task_name_en=name_en,
                actor=event.actor,
                actor_name=people["id"].get(event.actor_user_id, (0, ""))[1],
                role=event.role,
                business_time=event.business_time,
                process_version=numbers.get(event.bundle_hash),
                bundle_hash=event.bundle_hash,
                payload=payload,
                changes_state=event.kind not in VERB_KINDS,
                replay=check.status,
                problem=check.problem,
            )
        )
    return entries


def _payload(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text  # an edited row may hold anything; show it as it is


def _element(event: Event, payload: Any, check: EventCheck, steps: dict[str, str]) -> str:
    """The element the event is about: its task, the timer(s) a tick fired, the catch of a message."""
    if event.spec_id:
        return event.spec_id
    if event.kind == "tick":
        return ",".join(check.fired)
    if event.kind == "message" and isinstance(payload, dict):
        return steps.get(f"message:{payload.get('name', '')}", "")
    if event.kind == "start":
        return steps.get("start", "")
    return ""


def _step_name(element: str, names: dict[str, tuple[str, str]], payload: Any) -> tuple[str, str]:
    parts = [names[e] for e in element.split(",") if e in names]
    if parts:
        return "、".join(p[0] for p in parts), ", ".join(p[1] or p[0] for p in parts)
    logged = str(payload.get("task", "")) if isinstance(payload, dict) else ""
    return logged, ""


def _readable(entry: TimelineEvent, event: Event, reader: Actor, disclosure: Disclosure) -> TimelineEvent:
    """The event as the reader may see it: a democratic evaluation's scores only to their readers."""
    payload = disclosure.payload(reader, event.spec_id, event.actor_user_id, entry.payload)
    return entry if payload is entry.payload else replace(entry, payload=payload)


def _case_moment(
    kernel: Kernel,
    instance: ProcessInstance,
    version: LoadedVersion,
    chosen: TimelineEvent,
    walk: _Walk,
    opened: list[OpenTask],
    reader: Actor,
) -> CaseMoment:
    moment = walk.moment
    assert moment is not None
    disclosure = disclosure_of(version)
    data = disclosure.data(reader, moment.data)
    before = disclosure.data(reader, walk.before.data if walk.before is not None else {})
    called = [replace(c, data=disclosure.data(reader, c.data)) for c in moment.called]
    ended = next((e for e in end_events(version) if e.element == moment.end_event), None)
    return CaseMoment(
        event=chosen,
        completed=moment.completed_elements,
        current=moment.current_elements,
        open_tasks=opened,
        waiting=moment.waiting,
        called=called,
        data=data,
        fields=labelled_fields(kernel, version, instance.branch_id, data, before),
        finished=moment.finished,
        end_event=moment.end_event,
        outcome=moment.outcome,
        end_name=ended.name if ended else "",
        end_name_en=ended.name_en if ended else "",
    )
