"""The organisation: the town, its branches (党支部) and their villages (嘎查村).

Codes and names are unique (the roster names branches and villages by either), and a village
moves to another branch only while it has no members and no areas: both belong to its branch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...errors import NotFound
from ...kernel import Kernel
from ...models import Branch, Member, ResponsibilityArea, Town, User, Village
from .common import check_may_manage, check_may_read, code_of, may_manage, record, refused, text_of

CODE_LIMIT, NAME_LIMIT = 16, 64


@dataclass(frozen=True)
class VillageView:
    id: int
    code: str
    name: str
    branch_id: int
    members: int


@dataclass(frozen=True)
class BranchView:
    id: int
    code: str
    name: str
    members: int
    accounts: int
    villages: list[VillageView] = field(default_factory=list)


@dataclass(frozen=True)
class Organisation:
    town: dict[str, Any] | None
    branches: list[BranchView]
    may_manage: bool


def organisation(kernel: Kernel, actor: Actor) -> Organisation:
    """The town with every branch, its villages and how many members and accounts each has."""
    check_may_read(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        town = session.execute(select(Town).order_by(Town.id).limit(1)).scalar_one_or_none()
        members = _counts(session, Member.branch_id, Member.status == "active")
        accounts = _counts(session, User.branch_id, User.active.is_(True))
        by_village = _counts(session, Member.village_id, Member.status == "active")
        villages: dict[int, list[VillageView]] = {}
        for v in session.execute(select(Village).order_by(Village.code)).scalars():
            villages.setdefault(v.branch_id, []).append(
                VillageView(v.id, v.code, v.name, v.branch_id, by_village.get(v.id, 0))
            )
        branches = [
            BranchView(
                b.id, b.code, b.name, members.get(b.id, 0), accounts.get(b.id, 0), villages.get(b.id, [])
            )
            for b in session.execute(select(Branch).order_by(Branch.code)).scalars()
        ]
        view = {"id": town.id, "code": town.code, "name": town.name} if town else None
        return Organisation(view, branches, may_manage(actor))


def _counts(session: Session, column: Any, *where: Any) -> dict[int, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column))
    return {key: count for key, count in rows if key is not None}


def save_town(kernel: Kernel, actor: Actor, code: str, name: str) -> int:
    """Create the town (a new installation has none) or rename it; its id."""
    check_may_manage(actor)
    code = code_of(code, "code", "镇代码", CODE_LIMIT)
    name = text_of(name, "name", "镇名称", NAME_LIMIT)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        town = session.execute(select(Town).order_by(Town.id).limit(1)).scalar_one_or_none()
        if town is None:
            town = Town(code=code, name=name)
            session.add(town)
        town.code, town.name = code, name
        session.flush()
        record(session, kernel, actor, "org", {"action": "town", "code": code, "name": name})
        uow.commit()
        return town.id


def save_branch(kernel: Kernel, actor: Actor, branch_id: int | None, code: str, name: str) -> int:
    """Create a branch (branch_id None) or change its code and name; its id."""
    check_may_manage(actor)
    code = code_of(code, "code", "支部代码", CODE_LIMIT)
    name = text_of(name, "name", "支部名称", NAME_LIMIT)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        town = session.execute(select(Town.id).order_by(Town.id).limit(1)).scalar_one_or_none()
        if town is None:
            raise refused("create the town first", "请先填写本镇的名称和代码", field="town")
        branch = _get(session, Branch, branch_id, "branch", "党支部") if branch_id else None
        _unique(session, Branch, branch_id, code, name, "党支部")
        if branch is None:
            branch = Branch(town_id=town, code=code, name=name)
            session.add(branch)
        before = {"code": branch.code, "name": branch.name}
        branch.code, branch.name = code, name
        session.flush()
        action = "branch_created" if branch_id is None else "branch_changed"
        record(session, kernel, actor, "org", {"action": action, "code": code, "name": name, "was": before})
        uow.commit()
        return branch.id


def save_village(
    kernel: Kernel, actor: Actor, village_id: int | None, branch_id: int, code: str, name: str
) -> int:
    """Create a village of a branch, or change its code, name or branch; its id."""
    check_may_manage(actor)
    code = code_of(code, "code", "嘎查村代码", CODE_LIMIT)
    name = text_of(name, "name", "嘎查村名称", NAME_LIMIT)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        branch = _get(session, Branch, branch_id, "branch", "党支部")
        village = _get(session, Village, village_id, "village", "嘎查村") if village_id else None
        _unique(session, Village, village_id, code, name, "嘎查村")
        if village is None:
            village = Village(branch_id=branch.id, code=code, name=name)
            session.add(village)
        elif village.branch_id != branch.id:
            _check_village_may_move(session, village)
        before = {"code": village.code, "name": village.name, "branch_id": village.branch_id}
        village.code, village.name, village.branch_id = code, name, branch.id
        session.flush()
        payload = {
            "action": "village_created" if village_id is None else "village_changed",
            "code": code,
            "name": name,
            "branch": branch.code,
            "was": before,
        }
        record(session, kernel, actor, "org", payload)
        uow.commit()
        return village.id


def _check_village_may_move(session: Session, village: Village) -> None:
    members = session.execute(select(func.count()).where(Member.village_id == village.id)).scalar_one()
    areas = session.execute(
        select(func.count()).where(ResponsibilityArea.village_id == village.id)
    ).scalar_one()
    if members or areas:
        raise refused(
            f"village {village.name} has {members} member(s) and {areas} area(s) of its branch; "
            "it cannot move to another branch",
            f"{village.name}已有 {members} 名党员、{areas} 个责任区属于原支部，不能划转到其他支部",
            field="branch_id",
        )


def _get(session: Session, model: Any, key: int | None, what: str, what_zh: str) -> Any:
    row = session.get(model, key) if key else None
    if row is None:
        raise NotFound(f"no {what} {key}", zh=f"找不到该{what_zh}（{key}）", field=f"{what}_id")
    return row


def _unique(session: Session, model: Any, key: int | None, code: str, name: str, what_zh: str) -> None:
    for column, value, label in ((model.code, code, "代码"), (model.name, name, "名称")):
        other = session.execute(select(model.id).where(column == value, model.id != (key or 0))).first()
        if other is not None:
            raise refused(
                f"another {model.__tablename__} already has the {column.key} {value!r}",
                f"已有{what_zh}使用{label}“{value}”",
                field=column.key,
            )
