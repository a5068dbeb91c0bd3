"""Where a case stands now, for people: the steps it waits at, grouped by the called process they
run in, each with the people who may act by name (for a task open to a role, the accounts of that
role in the case's scope), how many of a step's instances are done, and every deadline with the
working days left on the holiday calendar.

Read-only; the page puts it into words (`web/pages/standing_text.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel import Kernel
from ..models import HumanTask, ProcessInstance, TaskSigner, User, UserRole
from ..models.org import ROLE_BRANCH, ROLE_MEMBER, ROLE_PUBLIC
from ..process.calendar import WorkingCalendar
from ..process.catalog import LoadedVersion
from ..process.end_events import element_names
from ..process.standing import Call, ReadyPoint, WaitingPoint, standing
from .calendar_admin import load_calendar


@dataclass(frozen=True)
class Deadline:
    due_at: dt.datetime
    working_days_left: int
    overdue: bool


@dataclass(frozen=True)
class WaitingStep:
    """One step of the diagram with ready tasks: a user task, or all instances of a
    multi-instance one (each chosen evaluator's evaluation, each villager's link)."""

    spec_id: str
    name: str
    name_en: str
    role: str
    task_ids: list[str]
    people: list[str]  # who may act now, by name ([] for the public)
    assignees: dict[str, str]  # task id -> the person it is assigned to, for tasks assigned to one
    delegated_by: list[str]  # owners of delegated tasks, waiting for the delegate
    signers: list[str]  # co-signers (加签) who must sign before the task can be done
    done: int  # instances of the step already done (0 and 0 for a single task)
    total: int
    deadline: Deadline | None

    @property
    def public(self) -> bool:
        return self.role == ROLE_PUBLIC


@dataclass(frozen=True)
class WaitingEvent:
    """A timer, a message or the first of several the case waits for."""

    spec_id: str
    name: str
    name_en: str
    kind: str  # timer / message / several
    deadline: Deadline | None
    alternatives: list[tuple[str, str]]


@dataclass(frozen=True)
class Stage:
    """What waits inside one called process (or in the case's own process: `call` is None)."""

    call: Call | None
    deadline: Deadline | None  # a timer on the call activity: when the called process is cut short
    steps: list[WaitingStep] = field(default_factory=list)
    events: list[WaitingEvent] = field(default_factory=list)


def case_standing(session: Session, kernel: Kernel, instance: ProcessInstance) -> list[Stage]:
    """The stages a running case waits in, in the order its steps became ready; [] once ended."""
    if instance.status not in ("running", "suspended"):
        return []
    version = kernel.catalog.get(session, instance.process_version_id)
    tasks = list(
        session.execute(
            select(HumanTask)
            .where(HumanTask.instance_id == instance.id)
            .order_by(HumanTask.created_at, HumanTask.mi_index, HumanTask.id)
        ).scalars()
    )
    found = standing(version, instance.state_json, [t.id for t in tasks])
    calendar = load_calendar(session)
    now = kernel.clock.now()
    names = _Names(session, instance)
    stages: dict[tuple[str, ...], Stage] = {}
    by_step: dict[tuple[tuple[str, ...], str], list[HumanTask]] = {}
    for task in tasks:
        point = found.ready.get(task.id)
        calls = point.calls if point else ()
        _stage(stages, calls)
        by_step.setdefault((_key(calls), task.spec_id), []).append(task)
    for (key, _spec), group in by_step.items():
        point = found.ready.get(group[0].id)
        stages[key].steps.append(_step(group, point, names, _deadline(_due(group), calendar, now)))
    for event in found.waiting:
        _place(stages, event, _deadline(event.due_at, calendar, now), version)
    for stage in stages.values():  # people named before the villagers' links
        stage.steps.sort(key=lambda step: step.public)
    return list(stages.values())


def _key(calls: tuple[Call, ...]) -> tuple[str, ...]:
    return tuple(call.element for call in calls)


def _stage(stages: dict[tuple[str, ...], Stage], calls: tuple[Call, ...]) -> Stage:
    key = _key(calls)
    if key not in stages:
        stages[key] = Stage(calls[-1] if calls else None, None)
    return stages[key]


def _due(group: list[HumanTask]) -> dt.datetime | None:
    return min((t.due_at for t in group if t.due_at is not None), default=None)


def _deadline(due: dt.datetime | None, calendar: WorkingCalendar, now: dt.datetime) -> Deadline | None:
    if due is None:
        return None
    return Deadline(due, calendar.working_days_between(now, due), due <= now)


def _step(
    group: list[HumanTask], point: ReadyPoint | None, names: _Names, due: Deadline | None
) -> WaitingStep:
    first = group[0]
    done, total = (point.done, point.total) if point else (0, 0)
    people: list[str] = []
    for task in group:
        for name in names.may_act(task):
            if name not in people:
                people.append(name)
    return WaitingStep(
        spec_id=first.spec_id,
        name=first.name,
        name_en=first.name_en,
        role=first.role,
        task_ids=[t.id for t in group],
        people=people,
        assignees={t.id: names.of(t.assignee_user_id) for t in group if t.assignee_user_id is not None},
        delegated_by=[names.of(t.owner_user_id) for t in group if t.delegation_state == "pending"],
        signers=names.signers([t.id for t in group]),
        done=done,
        total=total,
        deadline=due,
    )


def _place(
    stages: dict[tuple[str, ...], Stage], event: WaitingPoint, due: Deadline | None, version: LoadedVersion
) -> None:
    """A timer on a call activity is its stage's deadline; anything else waits in its own stage."""
    if event.attached_to and event.kind == "timer":
        for key, stage in stages.items():
            if key and key[-1] == event.attached_to:
                stages[key] = Stage(stage.call, due, stage.steps, stage.events)
                return
    name, name_en = event.name, event.name_en or element_names(version).get(event.spec_id, ("", ""))[1]
    _stage(stages, event.calls).events.append(
        WaitingEvent(event.spec_id, name, name_en, event.kind, due, list(event.alternatives))
    )


class _Names:
    """People's names for one case, read once: by account, and by role within the case's scope."""

    def __init__(self, session: Session, instance: ProcessInstance) -> None:
        self.session, self.instance = session, instance
        self._accounts: dict[int, str] = {}
        self._roles: dict[str, list[str]] = {}

    def of(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id not in self._accounts:
            row = self.session.execute(
                select(User.display_name, User.username).where(User.id == user_id)
            ).first()
            self._accounts[user_id] = (row[0] or row[1]) if row else ""
        return self._accounts[user_id]

    def may_act(self, task: HumanTask) -> list[str]:
        if task.role == ROLE_PUBLIC:
            return []
        if task.assignee_user_id is not None:
            return [self.of(task.assignee_user_id)]
        if task.role not in self._roles:
            query = (
                select(User.display_name, User.username)
                .join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == task.role, User.active.is_(True))
                .order_by(User.username)
            )
            if task.role in (ROLE_BRANCH, ROLE_MEMBER):
                query = query.where(User.branch_id == self.instance.branch_id)
            self._roles[task.role] = [shown or name for shown, name in self.session.execute(query)]
        return self._roles[task.role]

    def signers(self, task_ids: list[str]) -> list[str]:
        rows = self.session.execute(
            select(User.display_name, User.username)
            .join(TaskSigner, TaskSigner.user_id == User.id)
            .where(TaskSigner.task_id.in_(task_ids), TaskSigner.signed_at.is_(None))
            .order_by(TaskSigner.id)
        )
        return [shown or name for shown, name in rows]
