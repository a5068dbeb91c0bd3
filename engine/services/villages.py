"""What each village shows the public (R4 群众监督, R10 定期公开), without an account: its model posts
with member, title, duties, pledge and plate number; its responsibility areas with members, lead,
each member's scope, and the goals' progress; and the lasting archive of the areas' disclosures.

Only what a nameplate or a notice board would show: no member ids beyond names, no case data, no
comments of other villagers. A printable nameplate (铭牌) and certificate for a post are made from
the same facts, for those who may read the post.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..errors import NotAllowed, NotFound
from ..kernel import Kernel
from ..models import AreaMember, Branch, Member, ModelPost, ResponsibilityArea, Town, Village
from . import area_goals, authz
from .area_disclosures import disclosures_of


@dataclass(frozen=True)
class PublicPost:
    id: int
    plate_no: str
    title: str
    category: str
    member: str
    village: str
    village_id: int | None
    branch: str
    service_domains: list[str]
    duties: str
    pledge: str
    status: str
    established_on: dt.datetime
    issuer: str  # 中共治安镇委员会: who approved the post


def public_villages(kernel: Kernel) -> list[dict[str, Any]]:
    """Every village with its branch and how many active posts and areas it has."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        posts = dict(
            session.execute(
                select(ModelPost.village_id, func.count())
                .where(ModelPost.status == "active")
                .group_by(ModelPost.village_id)
            ).all()
        )
        areas = dict(
            session.execute(
                select(ResponsibilityArea.village_id, func.count())
                .where(ResponsibilityArea.status == "active")
                .group_by(ResponsibilityArea.village_id)
            ).all()
        )
        rows = session.execute(
            select(Village, Branch.name).join(Branch, Branch.id == Village.branch_id).order_by(Village.id)
        ).all()
        return [
            {
                "id": v.id,
                "name": v.name,
                "branch": b,
                "posts": posts.get(v.id, 0),
                "areas": areas.get(v.id, 0),
            }
            for v, b in rows
        ]


def public_village(kernel: Kernel, village_id: int) -> dict[str, Any]:
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        row = session.execute(
            select(Village, Branch.name)
            .join(Branch, Branch.id == Village.branch_id)
            .where(Village.id == village_id)
        ).first()
        if row is None:
            raise NotFound(f"no village {village_id}", village_id=village_id)
        village, branch = row
        area_rows = list(
            session.execute(
                select(ResponsibilityArea)
                .where(ResponsibilityArea.village_id == village_id, ResponsibilityArea.status == "active")
                .order_by(ResponsibilityArea.id)
            ).scalars()
        )
        archive_ids = list(
            session.execute(
                select(ResponsibilityArea.id).where(ResponsibilityArea.village_id == village_id)
            ).scalars()
        )
        return {
            "id": village.id,
            "name": village.name,
            "branch": branch,
            "posts": [_post_of(session, post) for post in _posts(session, village_id)],
            "areas": [_area_of(session, area) for area in area_rows],
            "disclosures": [_published(d) for d in disclosures_of(session, archive_ids)],
        }


def _posts(session: Session, village_id: int) -> list[ModelPost]:
    return list(
        session.execute(
            select(ModelPost)
            .where(ModelPost.village_id == village_id, ModelPost.status == "active")
            .order_by(ModelPost.id)
        ).scalars()
    )


def _issuer(session: Session) -> str:
    town = session.execute(select(Town.name).order_by(Town.id).limit(1)).scalar() or ""
    return f"中共{town}委员会"


def _post_of(session: Session, post: ModelPost) -> PublicPost:
    member = session.get(Member, post.member_id)
    village = session.get(Village, post.village_id) if post.village_id is not None else None
    branch = session.get(Branch, post.branch_id)
    return PublicPost(
        id=post.id,
        plate_no=post.plate_no,
        title=post.title,
        category=post.category,
        member=member.name if member else "",
        village=village.name if village else "",
        village_id=post.village_id,
        branch=branch.name if branch else "",
        service_domains=list(post.service_domains or []),
        duties=post.duties,
        pledge=post.pledge,
        status=post.status,
        established_on=post.established_on,
        issuer=_issuer(session),
    )


def _area_of(session: Session, area: ResponsibilityArea) -> dict[str, Any]:
    rows = session.execute(
        select(AreaMember, Member.name)
        .join(Member, Member.id == AreaMember.member_id)
        .where(AreaMember.area_id == area.id, AreaMember.left_at.is_(None))
        .order_by(AreaMember.id)
    ).all()
    return {
        "id": area.id,
        "name": area.name,
        "description": area.description,
        "members": [{"name": name, "lead": m.lead, "scope": m.scope, "tasks": m.tasks} for m, name in rows],
        "goals": [
            {k: g[k] for k in ("title", "domain", "done", "target", "percent", "due_on")}
            for g in area_goals.goals_of(session, area.id)
        ],
    }


def _published(disclosure: dict[str, Any]) -> dict[str, Any]:
    """A disclosure as the archive shows it: no case numbers, no member ids."""
    return {
        "area": disclosure["area"],
        "period": disclosure["period"],
        "satisfaction": disclosure["satisfaction"],
        "responses": disclosure["responses"],
        "grades": [
            {"name": g.get("name", ""), "grade": g.get("grade", ""), "label": g.get("label", "")}
            for g in disclosure["grades"]
        ],
        "work": disclosure["work"],
        "status": disclosure["status"],
        "published_at": disclosure["published_at"],
        "note": disclosure["note"],
    }


def public_post(kernel: Kernel, post_id: int) -> PublicPost:
    """The page a plate's QR code leads to: the post as its nameplate shows it (a revoked post says so)."""
    with kernel.db.unit_of_work(write=False) as uow:
        post = uow.session.get(ModelPost, post_id)
        if post is None:
            raise NotFound(f"no model post {post_id}", post_id=post_id)
        return _post_of(uow.session, post)


def printable_post(kernel: Kernel, actor: Actor, post_id: int) -> PublicPost:
    """A post's nameplate and certificate, for those who may read the post; only an active post has
    them (a revoked post's plate is taken back, R7)."""
    with kernel.db.unit_of_work(write=False) as uow:
        post = uow.session.get(ModelPost, post_id)
        if post is None:
            raise NotFound(f"no model post {post_id}", post_id=post_id)
        if not actor.roles & authz.TOWN_WIDE_READERS and post.branch_id != actor.branch_id:
            raise NotAllowed(f"model post {post_id} belongs to another branch", post_id=post_id)
        if post.status != "active":
            raise NotFound(
                f"model post {post_id} is {post.status}: its plate was taken back", post_id=post_id
            )
        return _post_of(uow.session, post)
