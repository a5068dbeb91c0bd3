"""我的: what concerns one member, on one page: tasks waiting for them, their model post(s), the
responsibility areas they serve in with their scope and tasks (the goals the branch set; the area's
own description), the work they recorded, their rectifications, rewards and criticisms, and their
latest notifications.

It is the member's own view: whatever their other roles, it shows only what is theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..errors import NotFound
from ..kernel import Kernel
from ..models import (
    AreaMember,
    AreaWorkRecord,
    AssessmentRecord,
    Branch,
    Criticism,
    Member,
    ModelPost,
    Rectification,
    ResponsibilityArea,
    Reward,
    Village,
    WorkRecordComment,
)
from ..process.case_fields import Words
from . import inbox, notifications, register_words
from .results import TaskSummary

RECENT = 20


@dataclass(frozen=True)
class MyArea:
    id: int
    name: str
    village: str
    status: str
    description: str
    lead: bool
    scope: str
    tasks: str
    partners: list[str]


@dataclass
class MyPage:
    member_id: int
    name: str
    branch: str
    village: str
    tasks: list[TaskSummary] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    areas: list[MyArea] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    record_count: int = 0
    rectifications: list[dict[str, Any]] = field(default_factory=list)
    rewards: list[dict[str, Any]] = field(default_factory=list)
    criticisms: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    outcomes: dict[str, Words] = field(default_factory=dict)  # assessment outcomes, as the diagram words them


def my_page(kernel: Kernel, actor: Actor) -> MyPage:
    if actor.member_id is None:
        raise NotFound(f"{actor.username} is not a Party member's account: there is no 我的 page")
    tasks = inbox.tasks_for(kernel, actor)
    latest = notifications.list_for(kernel, actor, limit=10)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        row = session.execute(
            select(Member.name, Branch.name, Village.name)
            .join(Branch, Branch.id == Member.branch_id)
            .outerjoin(Village, Village.id == Member.village_id)
            .where(Member.id == actor.member_id)
        ).first()
        if row is None:
            raise NotFound(f"no member {actor.member_id}", member_id=actor.member_id)
        page = MyPage(actor.member_id, str(row[0]), str(row[1]), str(row[2] or ""), tasks=tasks)
        page.notifications = latest
        page.posts = _posts(session, actor.member_id)
        if any(p["last_assessment"] for p in page.posts):
            page.outcomes = register_words.assessment_outcomes(kernel, session)
        page.areas = _areas(session, actor.member_id)
        page.records, page.record_count = _records(session, actor.member_id)
        page.rectifications = _rectifications(session, actor.member_id)
        page.rewards, page.criticisms = _rewards(session, actor.member_id)
        return page


def _posts(session: Session, member_id: int) -> list[dict[str, Any]]:
    posts = session.execute(
        select(ModelPost).where(ModelPost.member_id == member_id).order_by(ModelPost.established_on.desc())
    ).scalars()
    found = []
    for post in posts:
        last = session.execute(
            select(AssessmentRecord)
            .where(AssessmentRecord.post_id == post.id)
            .order_by(AssessmentRecord.recorded_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        found.append(
            {
                "id": post.id,
                "title": post.title,
                "plate_no": post.plate_no,
                "badge_no": post.badge_no,
                "category": post.category,
                "status": post.status,
                "pledge": post.pledge,
                "established_on": post.established_on,
                "revoked_at": post.revoked_at,
                "last_assessment": None
                if last is None
                else {"year": last.year, "outcome": last.outcome, "satisfaction": float(last.satisfaction)},
            }
        )
    return found


def _areas(session: Session, member_id: int) -> list[MyArea]:
    rows = session.execute(
        select(AreaMember, ResponsibilityArea, Village.name)
        .join(ResponsibilityArea, ResponsibilityArea.id == AreaMember.area_id)
        .join(Village, Village.id == ResponsibilityArea.village_id)
        .where(AreaMember.member_id == member_id, AreaMember.left_at.is_(None))
        .order_by(ResponsibilityArea.id)
    ).all()
    areas = []
    for place, area, village in rows:
        partners = session.execute(
            select(Member.name)
            .join(AreaMember, AreaMember.member_id == Member.id)
            .where(AreaMember.area_id == area.id, AreaMember.left_at.is_(None), Member.id != member_id)
            .order_by(AreaMember.lead.desc(), Member.id)
        ).scalars()
        areas.append(
            MyArea(
                area.id,
                area.name,
                str(village),
                area.status,
                area.description,
                place.lead,
                place.scope,
                place.tasks,
                [str(p) for p in partners],
            )
        )
    return areas


def _records(session: Session, member_id: int) -> tuple[list[dict[str, Any]], int]:
    comments = select(func.count()).where(WorkRecordComment.record_id == AreaWorkRecord.id).scalar_subquery()
    rows = session.execute(
        select(AreaWorkRecord, ResponsibilityArea.name, comments)
        .join(ResponsibilityArea, ResponsibilityArea.id == AreaWorkRecord.area_id)
        .where(AreaWorkRecord.member_id == member_id)
        .order_by(AreaWorkRecord.happened_on.desc(), AreaWorkRecord.id.desc())
        .limit(RECENT)
    ).all()
    total = session.execute(
        select(func.count()).select_from(AreaWorkRecord).where(AreaWorkRecord.member_id == member_id)
    ).scalar_one()
    return [
        {
            "id": r.id,
            "area_id": r.area_id,
            "area": area,
            "kind": r.kind,
            "domain": r.domain,
            "happened_on": r.happened_on,
            "what": r.what,
            "comments": int(count),
        }
        for r, area, count in rows
    ], int(total)


def _rectifications(session: Session, member_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Rectification)
        .where(Rectification.member_id == member_id)
        .order_by(Rectification.due_at.desc())
    ).scalars()
    return [
        {
            "id": r.id,
            "instance_id": r.instance_id,
            "problems": r.problems,
            "due_at": r.due_at,
            "status": r.status,
            "closed_at": r.closed_at,
        }
        for r in rows
    ]


def _rewards(session: Session, member_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rewards = session.execute(
        select(Reward).where(Reward.member_id == member_id).order_by(Reward.awarded_at.desc())
    ).scalars()
    criticisms = session.execute(
        select(Criticism).where(Criticism.member_id == member_id).order_by(Criticism.recorded_at.desc())
    ).scalars()
    return (
        [
            {
                "year": r.year,
                "spiritual": r.spiritual,
                "material": r.material,
                "amount": float(r.amount),
                "at": r.awarded_at,
                "instance_id": r.instance_id,
            }
            for r in rewards
        ],
        [
            {"reason": c.reason, "follow_up": c.follow_up, "at": c.recorded_at, "instance_id": c.instance_id}
            for c in criticisms
        ],
    )
