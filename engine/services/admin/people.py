"""Members (党员) as administrators keep them: list, read, create and correct.

A member's branch and status change only through a move or a departure (`departures`), which
deal with what the member holds in the old branch; an edit corrects the record itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from ...actor import Actor
from ...errors import FormInvalid, NotFound
from ...kernel import Kernel
from ...models import AreaMember, Branch, HumanTask, Member, ModelPost, ResponsibilityArea, User, Village
from . import member_fields
from .common import check_may_manage, check_may_read, may_manage, reason_of, record, today
from .member_fields import MemberDraft

EDITABLE = (
    "code",
    "name",
    "village_id",
    "gender",
    "birth_year",
    "joined_party_on",
    "phone",
    "political_quality",
    "work_ability",
    "organising_ability",
    "status_since",
    "note",
)
NULLABLE = frozenset({"village_id", "birth_year", "joined_party_on", "status_since"})
_OWN = (
    "id",
    "code",
    "name",
    "branch_id",
    "village_id",
    "gender",
    "birth_year",
    "joined_party_on",
    "phone",
    "political_quality",
    "work_ability",
    "organising_ability",
    "status",
    "status_since",
    "note",
)


@dataclass(frozen=True)
class MemberRow:
    id: int
    code: str
    name: str
    branch_id: int
    branch: str
    village_id: int | None
    village: str | None
    gender: str
    birth_year: int | None
    joined_party_on: dt.date | None
    phone: str
    political_quality: str
    work_ability: str
    organising_ability: str
    status: str
    status_since: dt.date | None
    note: str
    account: str | None


@dataclass(frozen=True)
class BranchChoice:
    id: int
    name: str
    villages: list[tuple[int, str]]


@dataclass(frozen=True)
class MemberList:
    rows: list[MemberRow]
    branches: list[BranchChoice]
    may_manage: bool


@dataclass(frozen=True)
class MemberDetail:
    member: MemberRow
    account: dict[str, Any] | None
    areas: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    open_tasks: int = 0
    branches: list[BranchChoice] = field(default_factory=list)
    may_manage: bool = False
    today: dt.date | None = None  # the engine's today (China), the latest date a move may take


def branch_choices(session: Session) -> list[BranchChoice]:
    """Every branch with its villages, for the forms' choices."""
    villages: dict[int, list[tuple[int, str]]] = {}
    for v in session.execute(select(Village).order_by(Village.code)).scalars():
        villages.setdefault(v.branch_id, []).append((v.id, v.name))
    return [
        BranchChoice(b.id, b.name, villages.get(b.id, []))
        for b in session.execute(select(Branch).order_by(Branch.code)).scalars()
    ]


def choices(kernel: Kernel, actor: Actor) -> list[BranchChoice]:
    check_may_read(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        return branch_choices(uow.session)


def member_query() -> Any:
    """Members with their branch, village and account name, in roster order."""
    village = aliased(Village)
    return (
        select(Member, Branch.name, village.name, User.username)
        .join(Branch, Branch.id == Member.branch_id)
        .outerjoin(village, village.id == Member.village_id)
        .outerjoin(User, User.member_id == Member.id)
        .order_by(Branch.code, Member.code)
    )


def row_of(member: Member, branch: str, village: str | None, account: str | None) -> MemberRow:
    return MemberRow(
        **{name: getattr(member, name) for name in _OWN},
        branch=branch,
        village=village,
        account=account,
    )


def list_members(
    kernel: Kernel, actor: Actor, branch_id: int | None = None, status: str | None = None, query: str = ""
) -> MemberList:
    check_may_read(actor)
    statement = member_query()
    if branch_id is not None:
        statement = statement.where(Member.branch_id == branch_id)
    if status:
        statement = statement.where(Member.status == status)
    words = query.strip()
    if words:
        statement = statement.where(or_(Member.name.contains(words), Member.code.contains(words)))
    with kernel.db.unit_of_work(write=False) as uow:
        rows = [row_of(*row) for row in uow.session.execute(statement)]
        return MemberList(rows, branch_choices(uow.session), may_manage(actor))


def member_detail(kernel: Kernel, actor: Actor, member_id: int) -> MemberDetail:
    """A member with their account, the area places and posts they hold, and their open tasks."""
    check_may_read(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        found = session.execute(member_query().where(Member.id == member_id)).first()
        if found is None:
            raise NotFound(f"no member {member_id}", zh=f"找不到该党员（{member_id}）")
        user = session.execute(select(User).where(User.member_id == member_id)).scalar_one_or_none()
        account = None
        open_tasks = 0
        if user is not None:
            account = {"id": user.id, "username": user.username, "active": user.active, "roles": _roles(user)}
            open_tasks = len(
                session.execute(select(HumanTask.id).where(HumanTask.assignee_user_id == user.id)).all()
            )
        return MemberDetail(
            row_of(*found),
            account,
            held_areas(session, member_id),
            held_posts(session, member_id),
            open_tasks,
            branch_choices(session),
            may_manage(actor),
            today(kernel),
        )


def _roles(user: User) -> list[str]:
    return [link.role for link in user.roles]


def held_areas(session: Session, member_id: int) -> list[dict[str, Any]]:
    """The places the member holds in areas in force or being drawn (active or draft)."""
    rows = session.execute(
        select(ResponsibilityArea.id, ResponsibilityArea.name, ResponsibilityArea.status, AreaMember.lead)
        .join(AreaMember, AreaMember.area_id == ResponsibilityArea.id)
        .where(
            AreaMember.member_id == member_id,
            AreaMember.left_at.is_(None),
            ResponsibilityArea.status.in_(("active", "draft")),
        )
        .order_by(ResponsibilityArea.id)
    )
    return [{"id": i, "name": n, "status": s, "lead": bool(lead)} for i, n, s, lead in rows]


def held_posts(session: Session, member_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ModelPost.id, ModelPost.plate_no, ModelPost.title)
        .where(ModelPost.member_id == member_id, ModelPost.status == "active")
        .order_by(ModelPost.id)
    )
    return [{"id": i, "plate_no": plate, "title": title} for i, plate, title in rows]


def create_member(kernel: Kernel, actor: Actor, draft: MemberDraft) -> int:
    """Add a member to a branch; their id. A new member is active; abilities default to adequate."""
    check_may_manage(actor)
    member_fields.check(draft, today(kernel))
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        _check_place(session, draft.branch_id, draft.village_id)
        _check_code_free(session, draft.code or "", None)
        member = Member(branch_id=draft.branch_id, status="active")
        for name in EDITABLE:
            value = getattr(draft, name)
            if value is not None:
                setattr(member, name, value.strip() if isinstance(value, str) else value)
        session.add(member)
        session.flush()
        payload = {
            "action": "created",
            "member": member.code,
            "name": member.name,
            "branch_id": member.branch_id,
        }
        record(session, kernel, actor, "member", payload, always=True)
        uow.commit()
        return member.id


def update_member(kernel: Kernel, actor: Actor, member_id: int, draft: MemberDraft, reason: str) -> list[str]:
    """Correct a member's record; the fields that changed (none: nothing recorded)."""
    check_may_manage(actor)
    why = reason_of(reason, "a change to a member", "修改党员信息")
    member_fields.check(draft, today(kernel))
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        member = session.get(Member, member_id)
        if member is None:
            raise NotFound(f"no member {member_id}", zh=f"找不到该党员（{member_id}）")
        _check_place(session, member.branch_id, draft.village_id)
        _check_code_free(session, draft.code or "", member.id)
        changes = {}
        for name in EDITABLE:
            value = getattr(draft, name)
            value = value.strip() if isinstance(value, str) else value
            if value is None and name not in NULLABLE:
                continue  # not given
            if value != getattr(member, name):
                changes[name] = [_plain(getattr(member, name)), _plain(value)]
                setattr(member, name, value)
        session.flush()
        if changes:
            payload = {
                "action": "changed",
                "member": member.code,
                "name": member.name,
                "changes": changes,
                "reason": why,
            }
            record(session, kernel, actor, "member", payload)
        uow.commit()
        return sorted(changes)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _check_place(session: Session, branch_id: int | None, village_id: int | None) -> None:
    branch = session.get(Branch, branch_id) if branch_id else None
    if branch is None:
        raise FormInvalid(
            "member", {"branch_id": "choose the member's branch"}, {"branch_id": "请选择所在党支部"}
        )
    if village_id is None:
        return
    village = session.get(Village, village_id)
    if village is None or village.branch_id != branch.id:
        raise FormInvalid(
            "member",
            {"village_id": f"village {village_id} is not a village of {branch.name}"},
            {"village_id": f"所选嘎查村不属于{branch.name}"},
        )


def _check_code_free(session: Session, code: str, member_id: int | None) -> None:
    other = session.execute(
        select(Member.name).where(Member.code == code.strip(), Member.id != (member_id or 0))
    ).scalar_one_or_none()
    if other is not None:
        raise FormInvalid(
            "member",
            {"code": f"the code {code} is already {other}'s"},
            {"code": f"党员编号 {code} 已被{other}使用"},
        )
