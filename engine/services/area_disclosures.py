"""What the current divisions leave out, and what the reviews disclosed: the members exempted from
an area with the branch's reason (R8: 落实到每一名党员), and the lasting archive of the areas'
disclosures (R10 定期公开), withdrawn ones included."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..kernel import Kernel
from ..models import AreaDisclosure, AreaExemption, Branch, Member, ResponsibilityArea
from . import authz


def exemptions(kernel: Kernel, actor: Actor) -> list[dict[str, Any]]:
    """The members the current divisions leave without an area, with the branch's reason (R8)."""
    with kernel.db.unit_of_work(write=False) as uow:
        statement = (
            select(AreaExemption, Member.name, Branch.name)
            .join(Member, Member.id == AreaExemption.member_id)
            .join(Branch, Branch.id == AreaExemption.branch_id)
            .where(AreaExemption.status == "active")
            .order_by(AreaExemption.branch_id, AreaExemption.member_id)
        )
        if not actor.roles & authz.TOWN_WIDE_READERS:
            statement = statement.where(AreaExemption.branch_id == actor.branch_id)
        return [
            {
                "member": member,
                "branch": branch,
                "reason": row.reason,
                "division_instance_id": row.division_instance_id,
            }
            for row, member, branch in uow.session.execute(statement)
        ]


def disclosures_of(session: Session, area_ids: list[int]) -> list[dict[str, Any]]:
    """What the reviews of these areas disclosed (R10 定期公开), newest first, withdrawn ones too."""
    if not area_ids:
        return []
    rows = session.execute(
        select(AreaDisclosure, ResponsibilityArea.name)
        .join(ResponsibilityArea, ResponsibilityArea.id == AreaDisclosure.area_id)
        .where(AreaDisclosure.area_id.in_(area_ids))
        .order_by(AreaDisclosure.published_at.desc(), AreaDisclosure.id.desc())
    ).all()
    return [
        {
            "id": row.id,
            "area_id": row.area_id,
            "area": name,
            "period": row.period,
            "satisfaction": row.satisfaction,
            "responses": row.responses,
            "grades": row.grades,
            "work": row.work,
            "status": row.status,
            "published_at": row.published_at,
            "note": row.note,
            "instance_id": row.instance_id,
        }
        for row, name in rows
    ]
