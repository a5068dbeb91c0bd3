"""The inbox: ready tasks as rows, so that an approver's list is one indexed query."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..errors import NotAllowed
from ..kernel import Kernel
from ..models import Event, HumanTask, Notification, ProcessInstance, TaskCopy, TaskSigner, User, UserRole
from ..models.org import ROLE_BRANCH, ROLE_COMMITTEE, ROLE_MEMBER, ROLE_PUBLIC
from ..process.case_fields import CaseField, case_fields, start_properties
from ..process.end_events import EndEventName, end_events
from ..process.inspection import inspect_shared
from ..process.moments import element_names
from . import authz
from .disclosure import disclosure_of
from .results import TaskSummary


def tasks_for(kernel: Kernel, actor: Actor, with_schema: bool = False) -> list[TaskSummary]:
    """Tasks the actor may act on now: assigned to them, or open to their role within their scope."""
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(
                HumanTask,
                ProcessInstance.title,
                ProcessInstance.state_version,
                ProcessInstance.process_version_id,
            )
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(_actionable_by(actor))
            .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
        ).all()
        now = kernel.clock.now()
        return [_summary(uow.session, kernel, row, now, with_schema) for row in rows]


def _actionable_by(actor: Actor) -> Any:
    open_to_role = []
    if actor.has(ROLE_COMMITTEE):
        open_to_role.append(HumanTask.role == ROLE_COMMITTEE)
    for role in (ROLE_BRANCH, ROLE_MEMBER):
        if actor.has(role) and actor.branch_id is not None:
            open_to_role.append(and_(HumanTask.role == role, HumanTask.branch_id == actor.branch_id))
    unassigned = and_(HumanTask.assignee_user_id.is_(None), or_(*open_to_role)) if open_to_role else false()
    if actor.user_id is None:
        return unassigned
    return or_(HumanTask.assignee_user_id == actor.user_id, unassigned)


def _summary(session: Session, kernel: Kernel, row: Any, now: dt.datetime, with_schema: bool) -> TaskSummary:
    task, title, version, version_id = row
    schema, batch = None, None
    if task.form:
        form = kernel.catalog.get(session, version_id).form(task.form)  # cached per version
        schema = form.schema if with_schema else None
        batch = form.ui.get("batch")
    return TaskSummary(
        id=task.id,
        instance_id=task.instance_id,
        name=task.name,
        name_en=task.name_en,
        role=task.role,
        form=task.form,
        due_at=task.due_at,
        spec_id=task.spec_id,
        instance_title=title,
        instance_version=version,
        assignee_user_id=task.assignee_user_id,
        created_at=task.created_at,
        overdue=task.due_at is not None and task.due_at < now,
        form_schema=schema,
        batch=batch,
    )


def all_tasks(kernel: Kernel) -> list[TaskSummary]:
    """Every ready task, each with the accounts that may act on it (for operators)."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        rows = session.execute(
            select(
                HumanTask,
                ProcessInstance.title,
                ProcessInstance.state_version,
                ProcessInstance.process_version_id,
            )
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .order_by(HumanTask.instance_id, HumanTask.created_at)
        ).all()
        users = _users_by_role(session)
        now = kernel.clock.now()
        result = []
        for row in rows:
            summary = _summary(session, kernel, row, now, False)
            eligible = _eligible(row[0], users)
            result.append(TaskSummary(**{**summary.__dict__, "eligible_users": eligible}))
        return result


def _users_by_role(session: Session) -> list[tuple[int, str, str, int | None]]:
    return list(
        session.execute(
            select(User.id, User.username, UserRole.role, User.branch_id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.active.is_(True))
            .order_by(User.username)
        )
    )


def _eligible(task: HumanTask, users: list[tuple[int, str, str, int | None]]) -> list[str]:
    if task.role == ROLE_PUBLIC:
        return ["(public link)"]
    if task.assignee_user_id is not None:
        return [name for uid, name, _role, _branch in users if uid == task.assignee_user_id][:1]
    names = []
    for _uid, name, role, branch in users:
        if role != task.role:
            continue
        if role == ROLE_COMMITTEE or branch == task.branch_id:
            names.append(name)
    return names


DONE_KINDS = ("complete", "return", "sign", "resolve", "start")


def done_by(kernel: Kernel, actor: Actor, limit: int = 100, after: int | None = None) -> list[dict[str, Any]]:
    """已办: what the actor completed, returned, signed or gave back, newest first (older than the
    event `after`, for the next page)."""
    older = [Event.seq < after] if after is not None else []
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(Event, ProcessInstance.title, ProcessInstance.status, ProcessInstance.process_version_id)
            .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
            .where(Event.actor_user_id == actor.user_id, Event.kind.in_(DONE_KINDS), *older)
            .order_by(Event.seq.desc())
            .limit(limit)
        ).all()
        names = _StepNames(kernel, uow.session)
        return [
            {
                "seq": e.seq,
                "instance_id": e.instance_id,
                "instance_title": title,
                "instance_status": status,
                "kind": e.kind,
                "task": json.loads(e.payload).get("task", "") or e.spec_id,
                # The step's English name, from the case's diagram (its nameEn).
                "task_en": names.english(version_id, e.spec_id),
                "at": e.business_time,
            }
            for e, title, status, version_id in rows
        ]


class _StepNames:
    """English names of steps, read from each pinned version once per request."""

    def __init__(self, kernel: Kernel, session: Session) -> None:
        self.kernel, self.session = kernel, session
        self._by_version: dict[int, dict[str, tuple[str, str]]] = {}

    def english(self, version_id: int, element: str | None) -> str:
        if not element:
            return ""
        if version_id not in self._by_version:
            self._by_version[version_id] = element_names(self.kernel.catalog.get(self.session, version_id))
        return self._by_version[version_id].get(element, ("", ""))[1]


def started_by(
    kernel: Kernel, actor: Actor, limit: int = 100, after: int | None = None
) -> list[dict[str, Any]]:
    """我发起的: instances the actor started, with where each one stands, newest first (older than
    the case `after`, for the next page)."""
    older = [ProcessInstance.id < after] if after is not None else []
    with kernel.db.unit_of_work(write=False) as uow:
        rows = (
            uow.session.execute(
                select(ProcessInstance)
                .where(ProcessInstance.started_by == actor.user_id, *older)
                .order_by(ProcessInstance.id.desc())
                .limit(limit)
            )
            .scalars()
            .all()
        )
        waiting = _waiting_at(uow.session, [r.id for r in rows])
        waiting_en = _waiting_at(uow.session, [r.id for r in rows], english=True)
        ends = {r.id: _end_of(kernel, uow.session, r) for r in rows if r.end_event}
        return [
            {
                "instance_id": r.id,
                "title": r.title,
                "status": r.status,
                "outcome": r.outcome,
                # How it ended, in the words of its end event (its diagram's).
                "outcome_name": getattr(ends.get(r.id), "name", ""),
                "outcome_name_en": getattr(ends.get(r.id), "name_en", ""),
                "started_at": r.started_at,
                "updated_at": r.updated_at,
                "waiting_at": waiting.get(r.id, []),
                "waiting_at_en": waiting_en.get(r.id, []),
            }
            for r in rows
        ]


def _end_of(kernel: Kernel, session: Session, instance: ProcessInstance) -> EndEventName | None:
    version = kernel.catalog.get(session, instance.process_version_id)
    return next((e for e in end_events(version) if e.element == instance.end_event), None)


def _waiting_at(session: Session, instance_ids: list[int], english: bool = False) -> dict[int, list[str]]:
    """The steps each case waits at, named once each (in English: their nameEn, else the name)."""
    if not instance_ids:
        return {}
    result: dict[int, list[str]] = {}
    for instance_id, name, name_en in session.execute(
        select(HumanTask.instance_id, HumanTask.name, HumanTask.name_en).where(
            HumanTask.instance_id.in_(instance_ids)
        )
    ):
        shown = (name_en or name) if english else name
        if shown not in result.setdefault(instance_id, []):
            result[instance_id].append(shown)
    return result


def copied_to(
    kernel: Kernel, actor: Actor, limit: int = 100, after: int | None = None
) -> list[dict[str, Any]]:
    """抄送我的: instances copied to the actor for information, newest first (older than the copy
    `after`, for the next page)."""
    older = [TaskCopy.id < after] if after is not None else []
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(TaskCopy, ProcessInstance.title, ProcessInstance.status, User.display_name)
            .join(ProcessInstance, ProcessInstance.id == TaskCopy.instance_id)
            .outerjoin(User, User.id == TaskCopy.from_user_id)
            .where(TaskCopy.user_id == actor.user_id, *older)
            .order_by(TaskCopy.id.desc())
            .limit(limit)
        ).all()
        return [
            {
                "id": c.id,
                "instance_id": c.instance_id,
                "instance_title": title,
                "instance_status": status,
                "from": sender or "",
                "note": c.note,
                "at": c.created_at,
                "read": c.read_at is not None,
            }
            for c, title, status, sender in rows
        ]


def signing_for(
    kernel: Kernel, actor: Actor, limit: int | None = None, after: int | None = None
) -> list[dict[str, Any]]:
    """加签 requests waiting for the actor's signature, oldest first (after the request `after`, for
    the next page)."""
    later = [TaskSigner.id > after] if after is not None else []
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(TaskSigner, HumanTask.name, ProcessInstance.title)
            .join(HumanTask, HumanTask.id == TaskSigner.task_id)
            .join(ProcessInstance, ProcessInstance.id == TaskSigner.instance_id)
            .where(TaskSigner.user_id == actor.user_id, TaskSigner.signed_at.is_(None), *later)
            .order_by(TaskSigner.id)
            .limit(limit)
        ).all()
        return [
            {
                "id": s.id,
                "task_id": s.task_id,
                "instance_id": s.instance_id,
                "task": name,
                "instance_title": title,
                "reason": s.reason,
                "requested_at": s.requested_at,
            }
            for s, name, title in rows
        ]


def actionable_parts(actor: Actor) -> list[ColumnElement[bool]]:
    """What the actor may act on (`_actionable_by`) as disjoint parts — assigned to them, open to
    each of their roles in their scope — each the prefix of an index ordered by due date, so each
    is counted or paged on its own index range."""
    parts: list[ColumnElement[bool]] = []
    if actor.user_id is not None:
        parts.append(HumanTask.assignee_user_id == actor.user_id)
    unassigned = HumanTask.assignee_user_id.is_(None)
    if actor.has(ROLE_COMMITTEE):
        parts.append(and_(HumanTask.role == ROLE_COMMITTEE, unassigned))
    for role in (ROLE_BRANCH, ROLE_MEMBER):
        if actor.has(role) and actor.branch_id is not None:
            parts.append(and_(HumanTask.role == role, HumanTask.branch_id == actor.branch_id, unassigned))
    return parts


def counts(kernel: Kernel, actor: Actor) -> dict[str, int]:
    """The numbers in the navigation bar, in one statement: every page shows them. The to-do count
    adds up its parts, each counted over its own index range (one count over their OR would
    collect and de-duplicate every row first)."""

    def counted(table: Any, *where: Any) -> Any:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    todo = [counted(HumanTask, part) for part in actionable_parts(actor)]
    others = [
        counted(TaskCopy, TaskCopy.user_id == actor.user_id, TaskCopy.read_at.is_(None)),
        counted(TaskSigner, TaskSigner.user_id == actor.user_id, TaskSigner.signed_at.is_(None)),
        counted(Notification, Notification.user_id == actor.user_id, Notification.read_at.is_(None)),
    ]
    with kernel.db.unit_of_work(write=False) as uow:
        *todo_counts, copies, signing, unread = uow.session.execute(select(*todo, *others)).one()
    return {
        "todo": sum(int(n or 0) for n in todo_counts),
        "copies": int(copies or 0),
        "signing": int(signing or 0),
        "unread": int(unread or 0),
    }


KEY_FIELDS_PROPERTY = "keyFields"
KEY_FIELDS_SHOWN = 4  # without `keyFields`, the first fields of `caseFields`


def key_facts(kernel: Kernel, actor: Actor, instance_ids: list[int]) -> dict[int, list[CaseField]]:
    """Each case's key facts, for its row in a list decided together (批量审批): the fields its
    diagram's start event names in `keyFields` (a part of `caseFields`), read as the actor may.
    What depends on the diagram alone is worked out once per version, not once per row."""
    found: dict[int, list[CaseField]] = {}
    per_version: dict[int, tuple[Any, list[str]]] = {}
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        for instance in session.execute(
            select(ProcessInstance).where(ProcessInstance.id.in_(set(instance_ids)))
        ).scalars():
            if not _may_read(actor, instance):
                continue
            version = kernel.catalog.get(session, instance.process_version_id)
            if instance.process_version_id not in per_version:
                wanted = start_properties(version).get(KEY_FIELDS_PROPERTY, "").split(",")
                per_version[instance.process_version_id] = (
                    disclosure_of(version),
                    [p.strip() for p in wanted if p.strip()],
                )
            disclosure, paths = per_version[instance.process_version_id]
            data = disclosure.data(actor, inspect_shared(version, instance.state_json).data)
            fields = case_fields(version, data)
            by_path = {f.path: f for f in fields}
            found[instance.id] = (
                [by_path[p] for p in paths if p in by_path] if paths else fields[:KEY_FIELDS_SHOWN]
            )
    return found


def _may_read(actor: Actor, instance: ProcessInstance) -> bool:
    try:
        authz.check_may_read(actor, instance)
    except NotAllowed:
        return False
    return True
