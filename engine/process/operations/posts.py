"""Operations on established posts (R5–R7): look a post up, record an assessment, a reward, a
rectification, a revocation and the plate's return; and the commendation-ledger marks they imply."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ...clock import CHINA_TZ, parse_instant
from ...errors import RuleViolation, ServiceTaskError
from ...models import (
    AssessmentRecord,
    Branch,
    CommendationMark,
    Member,
    ModelPost,
    Rectification,
    Reward,
    Village,
)
from .context import ServiceContext


def year_of(when: dt.datetime) -> int:
    return when.astimezone(CHINA_TZ).year


def _post(ctx: ServiceContext, post_id: int) -> ModelPost:
    post = ctx.session.get(ModelPost, post_id)
    if post is None:
        raise ServiceTaskError(f"model post {post_id} does not exist")
    if ctx.branch_id is not None and post.branch_id != ctx.branch_id:
        raise RuleViolation(f"model post {post.plate_no} belongs to another branch", post_id=post_id)
    return post


def describe_post(ctx: ServiceContext, post_id: int) -> dict[str, Any]:
    """The post as later steps need it; an already revoked post is refused (R7)."""
    post = _post(ctx, post_id)
    if post.status != "active":
        raise RuleViolation(f"model post {post.plate_no} is {post.status}, not active", post_id=post_id)
    member = ctx.session.get(Member, post.member_id)
    branch = ctx.session.get(Branch, post.branch_id)
    village = ctx.session.get(Village, post.village_id) if post.village_id else None
    assert member is not None and branch is not None
    return {
        "id": post.id,
        "plate_no": post.plate_no,
        "title": post.title,
        "category": post.category,
        "member_id": member.id,
        "member_name": member.name,
        "branch": branch.name,
        "village": village.name if village else "",
        "established_on": post.established_on.isoformat(),
    }


def mark(
    ctx: ServiceContext,
    member_id: int,
    kind: str,
    reason: str,
    post_id: int | None = None,
    area_id: int | None = None,
    year: int | None = None,
) -> CommendationMark:
    """A line in the commendation ledger (评先选优), for `year` or else the step's calendar year."""
    row = CommendationMark(
        member_id=member_id,
        year=year if year is not None else year_of(ctx.now),
        kind=kind,
        reason=reason,
        instance_id=ctx.instance_id,
        post_id=post_id,
        area_id=area_id,
        created_at=ctx.now,
    )
    ctx.session.add(row)
    return row


def record_assessment(
    ctx: ServiceContext,
    post_id: int,
    score: float,
    satisfaction: float,
    responses: int,
    outcome: str,
    basis: str,
    merit: str,
) -> dict[str, Any]:
    """R5: the cycle's result enters the register, with the basis the decision table gave; R6: when
    the diagram says the result earns a merit (`merit`, its reason), the ledger records it."""
    if not outcome or len(outcome) > 16:
        raise ServiceTaskError(f"an assessment outcome is a code of 1 to 16 characters, not {outcome!r}")
    post = _post(ctx, post_id)
    record = AssessmentRecord(
        post_id=post.id,
        instance_id=ctx.instance_id,
        year=year_of(ctx.now),
        score=Decimal(str(score)),
        satisfaction=Decimal(str(satisfaction)),
        responses=int(responses),
        outcome=outcome,
        basis=basis or "",
        recorded_at=ctx.now,
    )
    ctx.session.add(record)
    if merit:
        mark(ctx, post.member_id, "merit", merit, post_id=post.id)
    ctx.session.flush()
    return {"assessment_id": record.id, "year": record.year}


def record_reward(
    ctx: ServiceContext,
    member_id: int,
    spiritual: str,
    material: str,
    amount: float,
    post_id: int | None = None,
    area_id: int | None = None,
) -> dict[str, Any]:
    """R6, R11: spiritual encouragement combined with material reward, and the ledger merit."""
    if not spiritual and not material:
        raise ServiceTaskError("a reward needs a spiritual or a material part")
    reward = Reward(
        member_id=member_id,
        post_id=post_id,
        area_id=area_id,
        instance_id=ctx.instance_id,
        year=year_of(ctx.now),
        spiritual=spiritual,
        material=material,
        amount=Decimal(str(amount or 0)),
        awarded_at=ctx.now,
    )
    ctx.session.add(reward)
    what = "；".join(part for part in (spiritual, material and f"{material} {amount} 元") if part)
    mark(ctx, member_id, "merit", f"获得奖励：{what}", post_id=post_id, area_id=area_id)
    ctx.session.flush()
    return {"reward_id": reward.id}


def open_rectification(
    ctx: ServiceContext,
    member_id: int,
    problems: str,
    due_at: str,
    post_id: int | None = None,
    area_id: int | None = None,
) -> dict[str, Any]:
    row = Rectification(
        post_id=post_id,
        area_id=area_id,
        member_id=member_id,
        instance_id=ctx.instance_id,
        problems=problems,
        due_at=parse_instant(due_at),
        status="open",
    )
    ctx.session.add(row)
    ctx.session.flush()
    return {"rectification_id": row.id}


def close_rectification(ctx: ServiceContext, rectification_id: int, result: str) -> dict[str, Any]:
    row = ctx.session.get(Rectification, rectification_id)
    if row is None or row.instance_id != ctx.instance_id:
        raise ServiceTaskError(f"rectification {rectification_id} is not one of instance {ctx.instance_id}")
    if result not in ("passed", "failed"):
        raise ServiceTaskError(f"a rectification ends passed or failed, not {result!r}")
    row.status, row.closed_at = result, ctx.now
    ctx.session.flush()
    return {"rectification_id": row.id, "status": result}


def revoke_post(ctx: ServiceContext, post_id: int, reason: str, year: int) -> dict[str, Any]:
    """R7: the title is revoked, the register says when and why, and the member is blocked from
    the commendation of `year` (当年: the diagram passes the year of the assessment that failed)."""
    post = _post(ctx, post_id)
    if post.status != "active":
        raise RuleViolation(f"model post {post.plate_no} is already {post.status}", post_id=post_id)
    if not 2000 <= int(year) <= 2100:
        raise ServiceTaskError(f"the year a revocation blocks must be a calendar year, not {year!r}")
    post.status, post.revoked_at, post.revoke_reason = "revoked", ctx.now, reason
    post.revocation_instance_id = ctx.instance_id
    text = f"示范岗 {post.plate_no} 被撤销：{reason}"
    mark(ctx, post.member_id, "block", text, post_id=post.id, year=int(year))
    ctx.session.flush()
    return {"post_id": post.id, "plate_no": post.plate_no, "revoked_year": int(year)}


def end_open_rectifications(ctx: ServiceContext) -> dict[str, Any]:
    """The case's open rectifications end unfinished ("ended"): the post they were to put right
    was revoked meanwhile (the message that ended the case, in its history, says by which case)."""
    rows = (
        ctx.session.execute(
            select(Rectification).where(
                Rectification.instance_id == ctx.instance_id, Rectification.status == "open"
            )
        )
        .scalars()
        .all()
    )
    for row in rows:
        row.status, row.closed_at = "ended", ctx.now
    ctx.session.flush()
    return {"ended": [row.id for row in rows]}


def record_plate_returned(ctx: ServiceContext, post_id: int, returned_on: str) -> dict[str, Any]:
    """收回岗牌: the day the branch took the nameplate back."""
    post = _post(ctx, post_id)
    if post.status != "revoked":
        raise RuleViolation(f"model post {post.plate_no} is not revoked; its plate stays", post_id=post_id)
    day = dt.date.fromisoformat(returned_on)
    post.plate_returned_at = dt.datetime.combine(day, dt.time(12, 0), CHINA_TZ)
    ctx.session.flush()
    return {"post_id": post.id, "returned_on": returned_on}
