"""An area's work goals (目标管理, R9, R10): the branch sets them, members' work records name the goal
they serve, and progress is counted from those records.

A goal is set outside any case, like a work record: one chained event each, naming who set it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition, builtin_form_files, load_form

from ..actor import Actor
from ..errors import NotAllowed, NotFound
from ..kernel import Kernel
from ..models import AreaGoal, AreaWorkRecord, ResponsibilityArea
from ..models.org import ROLE_BRANCH
from . import chain, forms

GOAL_FORM = "area_goal.json"
GOAL_SOURCE = "area_goals"  # the work record form's source of an area's goals


def goal_form() -> FormDefinition:
    return load_form(GOAL_FORM, builtin_form_files()[GOAL_FORM])


def goals_of(session: Session, area_id: int) -> list[dict[str, Any]]:
    """The area's goals in the order set, each with the records that served it so far."""
    done = dict(
        session.execute(
            select(AreaWorkRecord.goal_id, func.count())
            .where(AreaWorkRecord.area_id == area_id, AreaWorkRecord.goal_id.is_not(None))
            .group_by(AreaWorkRecord.goal_id)
        ).all()
    )
    rows = session.execute(
        select(AreaGoal).where(AreaGoal.area_id == area_id).order_by(AreaGoal.id)
    ).scalars()
    return [
        {
            "id": goal.id,
            "title": goal.title,
            "domain": goal.domain,
            "target": goal.target_count,
            "done": done.get(goal.id, 0),
            "percent": min(100, round(done.get(goal.id, 0) * 100 / goal.target_count)),
            "due_on": goal.due_on,
            "description": goal.description,
        }
        for goal in rows
    ]


def goal_ids(session: Session, area_id: int) -> set[int]:
    return set(session.execute(select(AreaGoal.id).where(AreaGoal.area_id == area_id)).scalars())


def may_set_goals(actor: Actor, area: ResponsibilityArea) -> bool:
    return actor.has(ROLE_BRANCH) and actor.branch_id == area.branch_id and area.status == "active"


def add_goal(kernel: Kernel, actor: Actor, area_id: int, data: dict[str, Any]) -> int:
    """The branch sets a goal of one of its active areas."""
    form = goal_form()
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        area = session.get(ResponsibilityArea, area_id)
        if area is None:
            raise NotFound(f"no responsibility area {area_id}", area_id=area_id)
        if not may_set_goals(actor, area):
            raise NotAllowed(f"{actor.username} may not set the goals of responsibility area {area_id}")
        cleaned = forms.validate(session, form, data, area.branch_id)
        goal = AreaGoal(
            area_id=area.id,
            title=cleaned["title"],
            domain=cleaned.get("domain", ""),
            target_count=cleaned["target_count"],
            due_on=dt.date.fromisoformat(cleaned["due_on"]) if cleaned.get("due_on") else None,
            description=cleaned.get("description", ""),
            created_by=actor.user_id,
            created_at=kernel.clock.now(),
        )
        session.add(goal)
        session.flush()
        chain.record(
            session,
            kernel,
            actor,
            "area_goal",
            {"goal_id": goal.id, "area_id": area.id, "data": cleaned},
            ROLE_BRANCH,
        )
        uow.commit()
    return goal.id
