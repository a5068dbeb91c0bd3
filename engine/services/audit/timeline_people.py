"""The people of a case's history: who acted, and who held each open task, by the names the
organisation knows them by (accounts are read in one query per page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...models import Event, User
from ...models.org import ROLE_BRANCH, ROLE_MEMBER
from .timeline_replay import InboxRow

People = dict[str, dict[Any, tuple[int, str]]]
"""{"id" | "username" | "member": {key: (account id, the person's name)}}"""


@dataclass(frozen=True)
class OpenTask:
    id: str
    spec_id: str
    process_id: str
    name: str
    name_en: str
    role: str
    scope: str  # the branch a branch or member task belongs to
    form: str
    mi_index: int | None
    due_at: dt.datetime | None
    assignee_user_id: int | None
    assignee_name: str
    owner_name: str
    delegation_state: str


def people_of(session: Session, events: list[Event], rows: list[InboxRow]) -> People:
    """Accounts by id, username and member id: (account id, the person's name)."""
    ids = {e.actor_user_id for e in events} | {r.owner_user_id for r in rows}
    ids |= {r.assignee.user_id for r in rows if r.assignee}
    names = {r.assignee.username for r in rows if r.assignee and r.assignee.username}
    members = {r.assignee.member_id for r in rows if r.assignee and r.assignee.member_id}
    ids.discard(None)
    found = session.execute(
        select(User.id, User.username, User.member_id, User.display_name).where(
            or_(User.id.in_(ids), User.username.in_(names), User.member_id.in_(members))
        )
    ).all()
    return {
        "id": {user_id: (user_id, shown) for user_id, _name, _member, shown in found},
        "username": {name: (user_id, shown) for user_id, name, _member, shown in found},
        "member": {member: (user_id, shown) for user_id, _name, member, shown in found if member},
    }


def open_task(row: InboxRow, people: People, branch: str) -> OpenTask:
    task, who = row.task, row.assignee
    assignee = None
    if who is not None:
        if who.user_id is not None:
            assignee = people["id"].get(who.user_id)
        elif who.username:
            assignee = people["username"].get(who.username)
        elif who.member_id is not None:
            assignee = people["member"].get(who.member_id)
    return OpenTask(
        id=task.id,
        spec_id=task.spec_id,
        process_id=task.process_id,
        name=task.name,
        name_en=task.name_en,
        role=task.role,
        scope=branch if task.role in (ROLE_BRANCH, ROLE_MEMBER) else "",
        form=task.form,
        mi_index=task.mi_index,
        due_at=task.due_at,
        assignee_user_id=assignee[0] if assignee else None,
        assignee_name=assignee[1] if assignee else "",
        owner_name=people["id"].get(row.owner_user_id, (0, ""))[1] if row.owner_user_id else "",
        delegation_state=row.delegation_state,
    )
