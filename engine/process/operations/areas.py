"""Operations on responsibility areas (党员责任区, R8–R11): draft and check a division, activate it,
describe an area, apply a review's grades, and reassign a member who moves or leaves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...errors import RuleViolation, ServiceTaskError
from ...journal import capture
from ...models import AreaMember, Criticism, Member, ResponsibilityArea, Village
from .context import ServiceContext
from .posts import record_reward

ABILITIES = (
    ("political_quality", "政治素质"),
    ("work_ability", "业务能力"),
    ("organising_ability", "组织能力"),
)


def weak_points(member: Member) -> list[str]:
    """What keeps a member from taking an area alone (R8): any ability graded weak."""
    return [label for field, label in ABILITIES if getattr(member, field) == "weak"]


def _members(ctx: ServiceContext, member_ids: list[int]) -> dict[int, Member]:
    rows = ctx.session.execute(select(Member).where(Member.id.in_(member_ids))).scalars().all()
    found = {m.id: m for m in rows if m.branch_id == ctx.branch_id and m.status == "active"}
    missing = [mid for mid in member_ids if mid not in found]
    if missing:
        raise RuleViolation(f"members {missing} are not active members of this branch", members=missing)
    return found


def _check_team(members: dict[int, Member], lead_id: int) -> None:
    if lead_id not in members:
        raise RuleViolation("the lead member must be one of the area's members", field="lead_member_id")
    lead = members[lead_id]
    if len(members) == 1 and weak_points(lead):
        raise RuleViolation(
            f"{lead.name} 的{'、'.join(weak_points(lead))}较弱，不宜单独负责责任区，"
            "只能与其他党员共同负责（R8）",
            member_id=lead.id,
            field="member_ids",
        )
    if weak_points(lead):
        raise RuleViolation(
            f"{lead.name} 的{'、'.join(weak_points(lead))}较弱，不宜担任牵头党员（R8）",
            member_id=lead.id,
            field="lead_member_id",
        )


def _drafts(ctx: ServiceContext) -> list[ResponsibilityArea]:
    return list(
        ctx.session.execute(
            select(ResponsibilityArea).where(
                ResponsibilityArea.division_instance_id == ctx.instance_id,
                ResponsibilityArea.status == "draft",
            )
        ).scalars()
    )


def add_area_draft(
    ctx: ServiceContext,
    village_id: int,
    name: str,
    description: str,
    member_ids: list[int],
    lead_member_id: int,
    scope: str,
    tasks: str,
) -> dict[str, Any]:
    """One area of a division: in a village of the branch, one member or several with a lead (R8)."""
    village = ctx.session.get(Village, village_id)
    if village is None or village.branch_id != ctx.branch_id:
        raise RuleViolation(f"village {village_id} is not a village of this branch", field="village_id")
    members = _members(ctx, list(dict.fromkeys(member_ids)))
    _check_team(members, lead_member_id)
    taken = set(
        ctx.session.execute(
            select(AreaMember.member_id)
            .join(ResponsibilityArea, ResponsibilityArea.id == AreaMember.area_id)
            .where(
                ResponsibilityArea.division_instance_id == ctx.instance_id,
                ResponsibilityArea.status == "draft",
            )
        ).scalars()
    )
    twice = [members[mid].name for mid in members if mid in taken]
    if twice:
        raise RuleViolation(
            f"{'、'.join(twice)} 已在本次划分的其他责任区中；一名党员负责一个责任区（R8）", field="member_ids"
        )
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
    for member_id in members:
        ctx.session.add(
            AreaMember(
                area_id=area.id,
                member_id=member_id,
                lead=member_id == lead_member_id,
                scope=scope,
                tasks=tasks,
                joined_at=ctx.now,
            )
        )
    ctx.session.flush()
    return {"area_id": area.id, "areas_drafted": len(_drafts(ctx))}


def check_division_coverage(ctx: ServiceContext) -> dict[str, Any]:
    """The village is the basic unit (R8): a division leaving a village of the branch without an
    area is refused, naming the villages."""
    villages = ctx.session.execute(select(Village).where(Village.branch_id == ctx.branch_id)).scalars().all()
    covered = {area.village_id for area in _drafts(ctx)}
    uncovered = [v.name for v in villages if v.id not in covered]
    if uncovered:
        raise RuleViolation(
            f"{'、'.join(uncovered)} 尚未划分责任区：以嘎查村为单位，每个村都要有责任区（R8）",
            villages=uncovered,
        )
    return {"villages": len(villages), "areas": len(_drafts(ctx))}


def activate_areas(ctx: ServiceContext) -> dict[str, Any]:
    """The approved division replaces the branch's current one."""
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
    drafts = _drafts(ctx)
    for area in drafts:
        area.status, area.activated_at = "active", ctx.now
    ctx.session.flush()
    return {"activated": len(drafts), "retired": len(current)}


def discard_drafts(ctx: ServiceContext) -> dict[str, Any]:
    drafts = _drafts(ctx)
    for area in drafts:
        area.status = "discarded"
    ctx.session.flush()
    return {"discarded": len(drafts)}


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


def apply_area_grades(
    ctx: ServiceContext, area_id: int, grades: list[dict[str, Any]], members: list[dict[str, Any]]
) -> dict[str, Any]:
    """R11: strong results earn a reward and a ledger merit; weak ones a recorded criticism."""
    if len(grades) != len(members):
        raise ServiceTaskError("one grade per member of the area is required")
    excellent, weak, lines = [], [], []
    for member, grade in zip(members, grades, strict=True):
        level = grade["grade"]
        lines.append(f"{member['name']}：{ {'excellent': '优秀', 'good': '称职', 'weak': '较差'}[level] }")
        if level == "excellent":
            record_reward(
                ctx,
                member["member_id"],
                grade.get("reward_spiritual", ""),
                grade.get("reward_material", ""),
                grade.get("reward_amount", 0),
                area_id=area_id,
            )
            excellent.append(member["member_id"])
        elif level == "weak":
            ctx.session.add(
                Criticism(
                    member_id=member["member_id"],
                    area_id=area_id,
                    instance_id=ctx.instance_id,
                    reason=grade.get("comment", ""),
                    recorded_at=ctx.now,
                )
            )
            weak.append({"member_id": member["member_id"], "name": member["name"]})
    ctx.session.flush()
    return {"excellent": excellent, "weak": weak, "summary": "；".join(lines)}


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


def reassign_member(
    ctx: ServiceContext, member_id: int, reason: str, note: str, replacement_member_id: int | None
) -> dict[str, Any]:
    """A member moves or leaves: out of their area, keeping every area staffed and led (R8)."""
    places = ctx.session.execute(
        select(AreaMember, ResponsibilityArea)
        .join(ResponsibilityArea, ResponsibilityArea.id == AreaMember.area_id)
        .where(
            AreaMember.member_id == member_id,
            AreaMember.left_at.is_(None),
            ResponsibilityArea.status == "active",
        )
    ).all()
    if not places:
        raise RuleViolation(f"member {member_id} holds no active responsibility area", member_id=member_id)
    replacement = _replacement(ctx, replacement_member_id)
    for place, area in places:
        _leave(ctx, place, area, replacement, reason, note)
    if reason in ("moved", "left"):
        member = ctx.session.get(Member, member_id)
        assert member is not None
        member.status = reason
    ctx.session.flush()
    return {
        "areas": [area.id for _place, area in places],
        "replacement": replacement.id if replacement else None,
    }


def _replacement(ctx: ServiceContext, member_id: int | None) -> Member | None:
    if member_id is None:
        return None
    member = _members(ctx, [member_id])[member_id]
    busy = ctx.session.execute(
        select(AreaMember.id)
        .join(ResponsibilityArea)
        .where(
            AreaMember.member_id == member_id,
            AreaMember.left_at.is_(None),
            ResponsibilityArea.status == "active",
        )
    ).first()
    if busy is not None:
        raise RuleViolation(
            f"{member.name} already holds a responsibility area; one member, one area (R8)",
            field="replacement_member_id",
        )
    return member


def _leave(
    ctx: ServiceContext,
    place: AreaMember,
    area: ResponsibilityArea,
    replacement: Member | None,
    reason: str,
    note: str,
) -> None:
    others = ctx.session.execute(
        select(AreaMember, Member)
        .join(Member, Member.id == AreaMember.member_id)
        .where(AreaMember.area_id == area.id, AreaMember.left_at.is_(None), AreaMember.id != place.id)
    ).all()
    if not others and replacement is None:
        raise RuleViolation(
            f"责任区“{area.name}”将无人负责，请指定接替党员（R8）", field="replacement_member_id"
        )
    place.left_at, place.left_reason = ctx.now, f"{reason}：{note}".rstrip("：")
    if replacement is not None:
        if len(others) == 0 and weak_points(replacement):
            raise RuleViolation(f"{replacement.name} 不宜单独负责责任区（R8）", field="replacement_member_id")
        ctx.session.add(
            AreaMember(
                area_id=area.id,
                member_id=replacement.id,
                lead=place.lead and not weak_points(replacement),
                scope=place.scope,
                tasks=place.tasks,
                joined_at=ctx.now,
            )
        )
    if place.lead and (replacement is None or weak_points(replacement)):
        capable = [row for row, member in others if not weak_points(member)]
        if not capable:
            raise RuleViolation(
                f"责任区“{area.name}”失去牵头党员且无合适人选，请指定接替党员（R8）",
                field="replacement_member_id",
            )
        capable[0].lead = True
