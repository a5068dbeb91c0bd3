"""Whose dossier: a member, a post, an area, a branch or a year, found by its key, with the cases
that are about it and the scope of register rows that concern it.

A case is about a member or a post when its start form's organisation-backed field names them
(`x-source`, e.g. the nominee), about a post or an area when it was started for that subject
(`startFor`; its business key ends in the subject's key), and about whatever a register row it
wrote names (the creation of a post, the division of an area, a reward, a criticism…). No
procedure is named here: the forms, the diagrams' subjects and the registers say it all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ...errors import NotFound
from ...kernel import Kernel
from ...models import (
    AreaMember,
    Branch,
    Event,
    Member,
    ModelPost,
    ProcessInstance,
    ResponsibilityArea,
    Village,
)
from . import words
from .dossier_cases import subject_ids
from .dossier_model import Fact
from .dossier_names import Names
from .dossier_scope import Scope, year_bounds

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class Subject:
    kind: str
    key: str
    title: str
    facts: list[Fact]
    branch_id: int | None  # None: the whole town
    scope: Scope
    cases: set[int] = field(default_factory=set)


def _by_id_or_code(session: Session, model: type, code_column: object, key: str, what: str) -> object:
    row = session.get(model, int(key)) if key.isdigit() else None
    if row is None:
        row = session.execute(select(model).where(code_column == key)).scalar_one_or_none()  # type: ignore[arg-type]
    if row is None:
        raise NotFound(f"no {what} {key!r}", key=key)
    return row


def sourced_cases(session: Session, kernel: Kernel, branch_id: int, kind: str, ids: set[int]) -> set[int]:
    """Cases of the branch whose start form names one of `ids` in a field backed by the
    organisation source of `kind` (members or posts)."""
    if not ids:
        return set()
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.process_version_id, Event.payload)
        .join(Event, and_(Event.instance_id == ProcessInstance.id, Event.instance_version == 1))
        .where(ProcessInstance.branch_id == branch_id, Event.kind == "start")
    ).all()
    found = set()
    for instance_id, version_id, payload in rows:
        data = json.loads(payload or "{}").get("data")
        if isinstance(data, dict) and subject_ids(kernel.catalog.get(session, version_id), data)[kind] & ids:
            found.add(instance_id)
    return found


def keyed_cases(session: Session, kind: str, ids: set[int]) -> set[int]:
    """Cases started for one of the subjects (`startFor`): their business key ends in `kind:id`."""
    if not ids:
        return set()
    ends = [ProcessInstance.business_key.like(f"%:{kind}:{i}") for i in sorted(ids)]
    return set(session.execute(select(ProcessInstance.id).where(or_(*ends))).scalars())


def member(session: Session, kernel: Kernel, key: str, names: Names) -> Subject:
    row = _by_id_or_code(session, Member, Member.code, key, "member")
    assert isinstance(row, Member)
    posts = set(session.execute(select(ModelPost.id).where(ModelPost.member_id == row.id)).scalars())
    areas = set(session.execute(select(AreaMember.area_id).where(AreaMember.member_id == row.id)).scalars())
    subject = Subject(
        "member",
        str(row.id),
        f"党员 {row.name}（{row.code}）",
        [
            Fact("姓名", row.name),
            Fact("党员编号", row.code),
            Fact("党支部", names.branches.get(row.branch_id, "")),
            Fact("村", names.villages.get(row.village_id or 0, "")),
            Fact("状态", {"active": "在册", "moved": "迁出", "left": "离开"}.get(row.status, row.status)),
        ],
        row.branch_id,
        Scope(members=frozenset({row.id}), posts=frozenset(posts), held_areas=frozenset(areas)),
    )
    subject.cases |= sourced_cases(session, kernel, row.branch_id, "member", {row.id})
    subject.cases |= _post_cases(session, kernel, posts) | _area_cases(session, areas)
    return subject


def _post_cases(session: Session, kernel: Kernel, post_ids: set[int]) -> set[int]:
    if not post_ids:
        return set()
    posts = session.execute(select(ModelPost).where(ModelPost.id.in_(sorted(post_ids)))).scalars().all()
    found = {p.creation_instance_id for p in posts} | {
        p.revocation_instance_id for p in posts if p.revocation_instance_id
    }
    for branch_id in {p.branch_id for p in posts}:
        found |= sourced_cases(session, kernel, branch_id, "post", post_ids)
    return found | keyed_cases(session, "post", post_ids)


def _area_cases(session: Session, area_ids: set[int]) -> set[int]:
    if not area_ids:
        return set()
    divisions = session.execute(
        select(ResponsibilityArea.division_instance_id).where(ResponsibilityArea.id.in_(sorted(area_ids)))
    ).scalars()
    return set(divisions) | keyed_cases(session, "area", area_ids)


def post(session: Session, kernel: Kernel, key: str, names: Names) -> Subject:
    row = _by_id_or_code(session, ModelPost, ModelPost.plate_no, key, "model post")
    assert isinstance(row, ModelPost)
    facts = [
        Fact("牌号", row.plate_no),
        Fact("徽章号", row.badge_no),
        Fact("示范岗名称", row.title),
        Fact("党员", names.members.get(row.member_id, "")),
        Fact("党支部", names.branches.get(row.branch_id, "")),
        Fact("村", names.villages.get(row.village_id or 0, "")),
        Fact("状态", words.word(words.STATUSES, row.status)),
    ]
    subject = Subject(
        "post",
        str(row.id),
        f"党员示范岗 {row.plate_no}",
        facts,
        row.branch_id,
        Scope(posts=frozenset({row.id})),
    )
    subject.cases |= _post_cases(session, kernel, {row.id})
    return subject


def area(session: Session, kernel: Kernel, key: str, names: Names) -> Subject:
    row = session.get(ResponsibilityArea, int(key)) if key.isdigit() else None
    if row is None:
        raise NotFound(f"no responsibility area {key!r} (give its number)", key=key)
    facts = [
        Fact("责任区", row.name),
        Fact("党支部", names.branches.get(row.branch_id, "")),
        Fact("村", names.villages.get(row.village_id, "")),
        Fact("状态", words.word(words.STATUSES, row.status)),
    ]
    subject = Subject(
        "area", str(row.id), f"党员责任区 {row.name}", facts, row.branch_id, Scope(areas=frozenset({row.id}))
    )
    subject.cases |= _area_cases(session, {row.id})
    return subject


def branch(session: Session, kernel: Kernel, key: str, names: Names) -> Subject:
    row = _by_id_or_code(session, Branch, Branch.code, key, "branch")
    assert isinstance(row, Branch)
    villages = session.execute(
        select(Village.name).where(Village.branch_id == row.id).order_by(Village.id)
    ).scalars()
    facts = [Fact("党支部", row.name), Fact("编号", row.code), Fact("所辖村", "、".join(villages))]
    subject = Subject("branch", str(row.id), row.name, facts, row.id, Scope(branch=row.id))
    subject.cases |= set(
        session.execute(select(ProcessInstance.id).where(ProcessInstance.branch_id == row.id)).scalars()
    )
    return subject


def year(session: Session, key: str, within_branch: int | None, names: Names) -> Subject:
    """A calendar year (China time): the cases started in it and the rows recorded for it; a
    branch reading a year sees its own part of it."""
    number = int(key) if key.isdigit() and len(key) == 4 else 0
    if not FIRST_YEAR <= number <= LAST_YEAR:
        raise NotFound(f"no year {key!r} (give a year from {FIRST_YEAR} to {LAST_YEAR})", key=key)
    scope_text = names.branches.get(within_branch, "") if within_branch is not None else "全镇"
    start, end = year_bounds(number)
    statement = select(ProcessInstance.id).where(
        ProcessInstance.started_at >= start, ProcessInstance.started_at < end
    )
    if within_branch is not None:
        statement = statement.where(ProcessInstance.branch_id == within_branch)
    subject = Subject(
        "year",
        str(number),
        f"{number} 年度",
        [Fact("年度", str(number)), Fact("范围", scope_text)],
        within_branch,
        Scope(year=number, within_branch=within_branch),
    )
    subject.cases |= set(session.execute(statement).scalars())
    return subject
