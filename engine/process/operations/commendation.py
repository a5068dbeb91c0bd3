"""Operations of listing a member for the year's commendation (列入表彰对象, R6, R7, R11): the
member's ledger for the year, which the decision table `commendation_eligibility` reads, and the
listing it allowed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...errors import NotFound
from ...models import CommendationMark, Member
from .context import ServiceContext
from .posts import mark


def standing_of(marks: list[CommendationMark]) -> dict[str, Any]:
    """A member's year as the eligibility table reads it: reasons of merits and of blocks, and
    whether they are listed already."""
    return {
        "merits": [m.reason for m in marks if m.kind == "merit"],
        "blocks": [
            f"{m.reason}（案件 {m.instance_id}）" if m.instance_id else m.reason
            for m in marks
            if m.kind == "block"
        ],
        "listed": any(m.kind == "listed" for m in marks),
    }


def _marks(ctx: ServiceContext, member_id: int, year: int) -> list[CommendationMark]:
    return list(
        ctx.session.execute(
            select(CommendationMark)
            .where(CommendationMark.member_id == member_id, CommendationMark.year == year)
            .order_by(CommendationMark.id)
        ).scalars()
    )


def ledger_standing(ctx: ServiceContext, member_id: int, year: int) -> dict[str, Any]:
    member = ctx.session.get(Member, member_id)
    if member is None:
        raise NotFound(f"no member {member_id}", member_id=member_id)
    return {"member": member.name, "year": int(year), **standing_of(_marks(ctx, member_id, year))}


def list_for_commendation(ctx: ServiceContext, member_id: int, year: int, note: str) -> dict[str, Any]:
    """列入表彰对象: the mark the ledger shows, naming this case."""
    member = ctx.session.get(Member, member_id)
    if member is None:
        raise NotFound(f"no member {member_id}", member_id=member_id)
    row = mark(ctx, member_id, "listed", str(note or "").strip() or f"列入 {year} 年表彰对象", year=int(year))
    ctx.session.flush()
    return {"mark_id": row.id}
