"""The inbox: ready tasks as rows, so that an approver's list is one indexed query."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..kernel import Kernel
from ..models import HumanTask, ProcessInstance, User, UserRole
from ..models.org import ROLE_BRANCH, ROLE_COMMITTEE, ROLE_MEMBER, ROLE_PUBLIC
from .results import TaskSummary


def tasks_for(kernel: Kernel, actor: Actor, with_schema: bool = False) -> list[TaskSummary]:
    """Tasks the actor may act on now: assigned to them, or open to their role within their scope."""
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(
                HumanTask, ProcessInstance.title, ProcessInstance.version, ProcessInstance.process_version_id
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
    schema = None
    if with_schema and task.form:
        schema = kernel.catalog.get(session, version_id).form(task.form).schema
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
    )


def all_tasks(kernel: Kernel) -> list[TaskSummary]:
    """Every ready task, each with the accounts that may act on it (for operators)."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        rows = session.execute(
            select(
                HumanTask, ProcessInstance.title, ProcessInstance.version, ProcessInstance.process_version_id
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
