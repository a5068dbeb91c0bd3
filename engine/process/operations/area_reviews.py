"""Operations of a responsibility area's review (R10, R11): the area and the work done in the
period, the disclosure that goes into the lasting public archive, and the consequences of the
grades once the disclosure has stood.

What a grade leads to (a reward, a merit in the ledger, a criticism) is the decision table's
(`area_grade_consequence`): `apply_area_grades` carries out what each member's consequence says.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from ...clock import CHINA_TZ
from ...errors import RuleViolation, ServiceTaskError
from ...journal import capture
from ...models import (
    AreaDisclosure,
    AreaGoal,
    AreaMember,
    AreaWorkRecord,
    Criticism,
    Member,
    ResponsibilityArea,
    Reward,
    Village,
)
from .context import ServiceContext
from .posts import mark, year_of

DISCLOSURE_OUTCOMES = ("published", "withdrawn")


def describe_area(ctx: ServiceContext, area_id: int) -> dict[str, Any]:
    area = ctx.session.get(ResponsibilityArea, area_id)
    if area is None or area.status != "active":
        raise RuleViolation(f"responsibility area {area_id} is not active", area_id=area_id)
    village = ctx.session.get(Village, area.village_id)
    rows = ctx.session.execute(
        select(AreaMember, Member.name)
        .join(Member, Member.id == AreaMember.member_id)
        .where(AreaMember.area_id == area.id, AreaMember.left_at.is_(None))
        .order_by(AreaMember.id)
    ).all()
    members = [{"member_id": m.member_id, "name": name, "lead": m.lead} for m, name in rows]
    if not members:
        raise RuleViolation(f"responsibility area {area.name} has no member", area_id=area_id)
    return {"id": area.id, "name": area.name, "village": village.name if village else "", "members": members}


def _period_start(ctx: ServiceContext, area: ResponsibilityArea) -> dt.date:
    """The day after the last disclosure that stood, or the day the area became active."""
    last = ctx.session.execute(
        select(func.max(AreaDisclosure.published_at)).where(
            AreaDisclosure.area_id == area.id, AreaDisclosure.status == "published"
        )
    ).scalar()
    since = last or area.activated_at or ctx.now
    return since.astimezone(CHINA_TZ).date() + (dt.timedelta(days=1) if last else dt.timedelta(0))


def summarise_area_work(ctx: ServiceContext, area_id: int) -> dict[str, Any]:
    """The work done in the area since its last disclosure (R10: 履职情况): records by kind, and
    each goal with the records that served it (目标管理)."""
    area = ctx.session.get(ResponsibilityArea, area_id)
    if area is None:
        raise RuleViolation(f"no responsibility area {area_id}", area_id=area_id)
    since, until = _period_start(ctx, area), ctx.now.astimezone(CHINA_TZ).date()
    in_period = (
        AreaWorkRecord.area_id == area_id,
        AreaWorkRecord.happened_on >= since,
        AreaWorkRecord.happened_on <= until,
    )
    kinds = dict(
        ctx.session.execute(
            select(AreaWorkRecord.kind, func.count()).where(*in_period).group_by(AreaWorkRecord.kind)
        ).all()
    )
    served = dict(
        ctx.session.execute(
            select(AreaWorkRecord.goal_id, func.count())
            .where(AreaWorkRecord.area_id == area_id, AreaWorkRecord.goal_id.is_not(None))
            .group_by(AreaWorkRecord.goal_id)
        ).all()
    )
    goals = ctx.session.execute(select(AreaGoal).where(AreaGoal.area_id == area_id).order_by(AreaGoal.id))
    return {
        "period": f"{since.isoformat()} 至 {until.isoformat()}",  # for the notice, which is in Chinese
        "since": since.isoformat(),
        "until": until.isoformat(),
        "records": sum(kinds.values()),
        "service": kinds.get("service", 0),
        "political": kinds.get("political", 0),
        "goals": [
            {"id": g.id, "title": g.title, "target": g.target_count, "done": served.get(g.id, 0)}
            for g in goals.scalars()
        ],
    }


def record_disclosure(
    ctx: ServiceContext,
    area_id: int,
    period: str,
    satisfaction: float,
    responses: int,
    grades: list[dict[str, Any]],
    work: dict[str, Any],
    summary: str,
) -> dict[str, Any]:
    """R10 定期公开: what this review publishes enters the lasting archive, on notice until the
    notice period ends (`close_disclosure`)."""
    area = ctx.session.get(ResponsibilityArea, area_id)
    if area is None:
        raise RuleViolation(f"no responsibility area {area_id}", area_id=area_id)
    row = AreaDisclosure(
        area_id=area.id,
        village_id=area.village_id,
        instance_id=ctx.instance_id,
        period=str(period)[:64],
        satisfaction=Decimal(str(satisfaction)),
        responses=int(responses),
        grades=list(grades),
        work=dict(work),
        summary=summary,
        status="on_notice",
        published_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return {"disclosure_id": row.id}


def close_disclosure(ctx: ServiceContext, disclosure_id: int, outcome: str, note: str) -> dict[str, Any]:
    """The notice is over: the disclosure stands (published), or an upheld objection withdrew it,
    with the finding; it stays in the archive either way."""
    if outcome not in DISCLOSURE_OUTCOMES:
        raise ServiceTaskError(f"a disclosure ends {' or '.join(DISCLOSURE_OUTCOMES)}, not {outcome!r}")
    capture.update_where(
        ctx.session,
        AreaDisclosure,
        (AreaDisclosure.id == int(disclosure_id), AreaDisclosure.instance_id == ctx.instance_id),
        {"status": outcome, "closed_at": ctx.now, "note": str(note or "")},
    )
    return {"disclosure_id": int(disclosure_id), "status": outcome}


def apply_area_grades(
    ctx: ServiceContext, area_id: int, graded: list[dict[str, Any]], consequences: list[dict[str, Any]]
) -> dict[str, Any]:
    """R11, as the decision table said for each member: a reward, a ledger merit, a criticism."""
    if len(graded) != len(consequences):
        raise ServiceTaskError("one consequence per graded member is required")
    criticised, rewarded = [], []
    for member, consequence in zip(graded, consequences, strict=True):
        member_id = int(member["member_id"])
        if consequence.get("reward"):
            _reward(ctx, member, area_id)
            rewarded.append(member_id)
        if consequence.get("merit"):
            mark(ctx, member_id, "merit", str(consequence["merit"]), area_id=area_id)
        if consequence.get("criticism"):
            ctx.session.add(
                Criticism(
                    member_id=member_id,
                    area_id=area_id,
                    instance_id=ctx.instance_id,
                    reason=str(member.get("comment", "")),
                    recorded_at=ctx.now,
                )
            )
            criticised.append({"member_id": member_id, "name": member.get("name", "")})
    ctx.session.flush()
    return {"rewarded": rewarded, "criticised": criticised}


def _reward(ctx: ServiceContext, member: dict[str, Any], area_id: int) -> None:
    spiritual, material = str(member.get("reward_spiritual", "")), str(member.get("reward_material", ""))
    if not spiritual and not material:
        raise RuleViolation(f"{member.get('name', '')} 应给予奖励，请填写精神奖励或物质奖励（R11）")
    ctx.session.add(
        Reward(
            member_id=int(member["member_id"]),
            area_id=area_id,
            instance_id=ctx.instance_id,
            year=year_of(ctx.now),
            spiritual=spiritual,
            material=material,
            amount=Decimal(str(member.get("reward_amount", 0) or 0)),
            awarded_at=ctx.now,
        )
    )


def record_follow_ups(
    ctx: ServiceContext, follow_ups: list[dict[str, Any]], weak: list[dict[str, Any]]
) -> dict[str, Any]:
    """党内批评的帮助教育与跟进: attached to this review's criticism records."""
    for person, follow_up in zip(weak, follow_ups, strict=True):
        capture.update_where(
            ctx.session,
            Criticism,
            (Criticism.instance_id == ctx.instance_id, Criticism.member_id == person["member_id"]),
            {"follow_up": follow_up["follow_up"]},
        )
    return {"followed_up": len(weak)}
