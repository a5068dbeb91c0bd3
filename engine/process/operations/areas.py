"""Operations of a division into responsibility areas (党员责任区划分, R8): the facts its rules are
decided on, and the drafts, exemptions and activation it writes.

Which teams are allowed (who may hold or lead an area, one member one area) and when a division is
complete (every village covered, every member placed or exempted) are the decision tables'
(`area_member_qualification`, `area_team_rules`, `division_coverage`): these operations report the
facts the tables read and write what the diagram decided. What they refuse themselves is only what
no diagram could mean: a village or member of another branch, a lead outside the team.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...errors import RuleViolation, ServiceTaskError
from ...journal import capture
from ...models import AreaExemption, AreaMember, Member, ResponsibilityArea, Village
from .context import ServiceContext

ABILITY_FIELDS = ("political_quality", "work_ability", "organising_ability")


def member_facts(member: Member) -> dict[str, Any]:
    """A member as the qualification table reads them: their recorded abilities."""
    facts: dict[str, Any] = {"member_id": member.id, "name": member.name}
    facts.update({name: getattr(member, name) or "" for name in ABILITY_FIELDS})
    return facts


def active_members(ctx: ServiceContext, member_ids: list[int], field: str) -> dict[int, Member]:
    rows = ctx.session.execute(select(Member).where(Member.id.in_(member_ids))).scalars().all()
    found = {m.id: m for m in rows if m.branch_id == ctx.branch_id and m.status == "active"}
    missing = [mid for mid in member_ids if mid not in found]
    if missing:
        raise RuleViolation(
            f"members {missing} are not active members of this branch", members=missing, field=field
        )
    return found


def _drafts(ctx: ServiceContext) -> list[ResponsibilityArea]:
    return list(
        ctx.session.execute(
            select(ResponsibilityArea)
            .where(
                ResponsibilityArea.division_instance_id == ctx.instance_id,
                ResponsibilityArea.status == "draft",
            )
            .order_by(ResponsibilityArea.id)
        ).scalars()
    )


def _placed(ctx: ServiceContext) -> dict[int, str]:
    """Members in this division's draft areas, with the area's name."""
    rows = ctx.session.execute(
        select(AreaMember.member_id, ResponsibilityArea.name)
        .join(ResponsibilityArea, ResponsibilityArea.id == AreaMember.area_id)
        .where(
            ResponsibilityArea.division_instance_id == ctx.instance_id,
            ResponsibilityArea.status == "draft",
        )
    ).all()
    return dict(rows)


def _exemptions(ctx: ServiceContext, status: str = "draft") -> list[AreaExemption]:
    return list(
        ctx.session.execute(
            select(AreaExemption).where(
                AreaExemption.division_instance_id == ctx.instance_id, AreaExemption.status == status
            )
        ).scalars()
    )


def describe_team(
    ctx: ServiceContext, village_id: int, member_ids: list[int], lead_member_id: int
) -> dict[str, Any]:
    """The team of an area being drafted, as the rules read it: each member with their abilities,
    whether they lead, and the area of this division they are in already ("" for none)."""
    village = ctx.session.get(Village, village_id)
    if village is None or village.branch_id != ctx.branch_id:
        raise RuleViolation(f"village {village_id} is not a village of this branch", field="village_id")
    ids = list(dict.fromkeys(member_ids))
    members = active_members(ctx, ids, "member_ids")
    if lead_member_id not in members:
        raise RuleViolation("the lead member must be one of the area's members", field="lead_member_id")
    placed = _placed(ctx)
    team = [
        {**member_facts(members[mid]), "lead": mid == lead_member_id, "elsewhere": placed.get(mid, "")}
        for mid in ids
    ]
    return {"village": village.name, "members": team}


def add_area_draft(
    ctx: ServiceContext,
    village_id: int,
    name: str,
    description: str,
    lead_member_id: int,
    duties: list[dict[str, Any]],
) -> dict[str, Any]:
    """One area of a division with each member's own scope and tasks (R8: 明确每名党员的职责范围和
    工作任务); a member placed here no longer needs the exemption this division gave them."""
    village = ctx.session.get(Village, village_id)
    if village is None or village.branch_id != ctx.branch_id:
        raise RuleViolation(f"village {village_id} is not a village of this branch", field="village_id")
    ids = [int(duty["member_id"]) for duty in duties]
    if lead_member_id not in ids or len(set(ids)) != len(ids):
        raise ServiceTaskError("an area's duties name each member once, the lead among them")
    active_members(ctx, ids, "member_ids")
    area = ResponsibilityArea(
        branch_id=village.branch_id,
        village_id=village.id,
        name=name,
        description=description,
        status="draft",
        division_instance_id=ctx.instance_id,
    )
    ctx.session.add(area)
    ctx.session.flush()
    for duty in duties:
        member_id = int(duty["member_id"])
        ctx.session.add(
            AreaMember(
                area_id=area.id,
                member_id=member_id,
                lead=member_id == lead_member_id,
                scope=str(duty["scope"]),
                tasks=str(duty["tasks"]),
                joined_at=ctx.now,
            )
        )
    for exemption in _exemptions(ctx):
        if exemption.member_id in ids:
            exemption.status = "withdrawn"
    ctx.session.flush()
    return {"area_id": area.id, "areas_drafted": len(_drafts(ctx))}


def division_gaps(ctx: ServiceContext) -> dict[str, Any]:
    """What the division leaves open: the villages of the branch without a draft area, and the
    active members of the branch with neither a draft area nor an exemption in this division."""
    villages = ctx.session.execute(
        select(Village).where(Village.branch_id == ctx.branch_id).order_by(Village.id)
    ).scalars()
    drafts = _drafts(ctx)
    covered = {area.village_id for area in drafts}
    placed = set(_placed(ctx)) | {e.member_id for e in _exemptions(ctx)}
    members = ctx.session.execute(
        select(Member).where(Member.branch_id == ctx.branch_id, Member.status == "active").order_by(Member.id)
    ).scalars()
    return {
        "uncovered": [v.name for v in villages if v.id not in covered],
        "unplaced": [{"member_id": m.id, "name": m.name} for m in members if m.id not in placed],
        "areas": len(drafts),
    }


def exempt_members(ctx: ServiceContext, member_ids: list[int], reason: str) -> dict[str, Any]:
    """Members the division leaves without an area, each with the branch's reason (落实到每一名
    党员: nobody is simply forgotten). A member with an area here needs no exemption."""
    ids = list(dict.fromkeys(member_ids or []))
    if not ids:
        return {"exempted": 0}
    text = str(reason or "").strip()
    if not text:
        raise RuleViolation("an exemption needs its reason", field="exemption_reason")
    members = active_members(ctx, ids, "exempt_member_ids")
    placed = _placed(ctx)
    clash = [f"{members[mid].name}（{placed[mid]}）" for mid in ids if mid in placed]
    if clash:
        raise RuleViolation(
            f"{'、'.join(clash)} 已在本次划分的责任区中，无需说明不承担的原因", field="exempt_member_ids"
        )
    for exemption in _exemptions(ctx):
        if exemption.member_id in members:
            exemption.status = "withdrawn"
    for member_id in ids:
        ctx.session.add(
            AreaExemption(
                division_instance_id=ctx.instance_id,
                branch_id=ctx.branch_id,
                member_id=member_id,
                reason=text,
                status="draft",
                recorded_at=ctx.now,
            )
        )
    ctx.session.flush()
    return {"exempted": len(ids)}


def revise_division(ctx: ServiceContext, village_ids: list[int], member_ids: list[int]) -> dict[str, Any]:
    """A returned division is revised, not thrown away: the drafts of the villages to be redrawn go,
    and so do the exemptions taken back; everything else stays as drafted."""
    redraw = set(village_ids or [])
    removed = 0
    for area in _drafts(ctx):
        if area.village_id in redraw:
            area.status = "discarded"
            removed += 1
    for exemption in _exemptions(ctx):
        if exemption.member_id in set(member_ids or []):
            exemption.status = "withdrawn"
    ctx.session.flush()
    return {"removed": removed, "areas_drafted": len(_drafts(ctx))}


def activate_areas(ctx: ServiceContext) -> dict[str, Any]:
    """The approved division replaces the branch's current one, exemptions included."""
    current = (
        ctx.session.execute(
            select(ResponsibilityArea).where(
                ResponsibilityArea.branch_id == ctx.branch_id, ResponsibilityArea.status == "active"
            )
        )
        .scalars()
        .all()
    )
    for area in current:
        area.status, area.retired_at = "retired", ctx.now
        capture.update_where(
            ctx.session,
            AreaMember,
            (AreaMember.area_id == area.id, AreaMember.left_at.is_(None)),
            {"left_at": ctx.now, "left_reason": "责任区重新划分"},
        )
    capture.update_where(
        ctx.session,
        AreaExemption,
        (AreaExemption.branch_id == ctx.branch_id, AreaExemption.status == "active"),
        {"status": "retired"},
    )
    drafts = _drafts(ctx)
    for area in drafts:
        area.status, area.activated_at = "active", ctx.now
    for exemption in _exemptions(ctx):
        exemption.status = "active"
    ctx.session.flush()
    return {"activated": len(drafts), "retired": len(current)}


def discard_drafts(ctx: ServiceContext) -> dict[str, Any]:
    drafts = _drafts(ctx)
    for area in drafts:
        area.status = "discarded"
    for exemption in _exemptions(ctx):
        exemption.status = "discarded"
    ctx.session.flush()
    return {"discarded": len(drafts)}
