"""Operations of a change of an area's members (责任区人员调整, R8): the facts of the change the
rules decide on, and the change itself.

Whether the area may stay as it would be (nobody left, a weak member alone, no one able to lead,
a replacement who has an area already) is decided by the decision tables `area_member_qualification`
and `area_team_rules`; the diagram chooses the lead. These operations report and carry out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...errors import RuleViolation
from ...models import AreaMember, Member, ResponsibilityArea
from .areas import active_members, member_facts
from .context import ServiceContext

STATUS_ON_LEAVING = ("moved", "left")  # reasons that are also the member's new status


def _places(ctx: ServiceContext, member_id: int) -> list[tuple[AreaMember, ResponsibilityArea]]:
    return [
        (place, area)
        for place, area in ctx.session.execute(
            select(AreaMember, ResponsibilityArea)
            .join(ResponsibilityArea, ResponsibilityArea.id == AreaMember.area_id)
            .where(
                AreaMember.member_id == member_id,
                AreaMember.left_at.is_(None),
                ResponsibilityArea.status == "active",
            )
            .order_by(AreaMember.id)
        ).all()
    ]


def _place(ctx: ServiceContext, member_id: int) -> tuple[AreaMember, ResponsibilityArea]:
    places = _places(ctx, member_id)
    if not places:
        raise RuleViolation(f"member {member_id} holds no active responsibility area", member_id=member_id)
    return places[0]


def describe_reassignment(
    ctx: ServiceContext, member_id: int, replacement_member_id: int | None
) -> dict[str, Any]:
    """The area the member leaves, who stays in it (with their abilities and who leads), and the
    replacement with the area they hold already ("" for none)."""
    place, area = _place(ctx, member_id)
    rows = ctx.session.execute(
        select(AreaMember, Member)
        .join(Member, Member.id == AreaMember.member_id)
        .where(AreaMember.area_id == area.id, AreaMember.left_at.is_(None), AreaMember.id != place.id)
        .order_by(AreaMember.id)
    ).all()
    remaining = [{**member_facts(member), "lead": row.lead, "elsewhere": ""} for row, member in rows]
    replacement = None
    if replacement_member_id is not None:
        found = active_members(ctx, [replacement_member_id], "replacement_member_id")[replacement_member_id]
        held = _places(ctx, replacement_member_id)
        replacement = {**member_facts(found), "lead": False, "elsewhere": held[0][1].name if held else ""}
    return {
        "area": {"id": area.id, "name": area.name},
        "leaving": {"member_id": member_id, "lead": place.lead},
        "remaining": remaining,
        "replacement": replacement,
    }


def reassign_member(
    ctx: ServiceContext,
    member_id: int,
    reason: str,
    note: str,
    replacement_member_id: int | None,
    lead_member_id: int,
) -> dict[str, Any]:
    """The member leaves their area; the replacement takes over their scope and tasks; the lead is
    the one the diagram chose."""
    place, area = _place(ctx, member_id)
    place.left_at, place.left_reason = ctx.now, f"{reason}：{note}".rstrip("：")
    if replacement_member_id is not None:
        active_members(ctx, [replacement_member_id], "replacement_member_id")
        ctx.session.add(
            AreaMember(
                area_id=area.id,
                member_id=replacement_member_id,
                lead=False,
                scope=place.scope,
                tasks=place.tasks,
                joined_at=ctx.now,
            )
        )
        ctx.session.flush()
    staying = ctx.session.execute(
        select(AreaMember).where(AreaMember.area_id == area.id, AreaMember.left_at.is_(None))
    ).scalars()
    for row in staying:
        row.lead = row.member_id == lead_member_id
    if reason in STATUS_ON_LEAVING:
        member = ctx.session.get(Member, member_id)
        assert member is not None
        member.status = reason
    ctx.session.flush()
    return {"areas": [area.id], "replacement": replacement_member_id, "lead": lead_member_id}
