"""Whom a scheduled or bulk start makes instances for (`startFor` on a diagram's start event).

Each query returns subjects existing (and active) at a given time, optionally within one branch;
the instance is scoped to the subject's branch and village.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..models import ModelPost, ResponsibilityArea


@dataclass(frozen=True)
class Subject:
    key: str  # stable, part of the instance's business key
    data: dict[str, Any]  # the instance's start data
    branch_id: int
    village_id: int | None


def active_posts(session: Session, before: dt.datetime, branch_id: int | None) -> list[Subject]:
    statement = select(ModelPost).where(ModelPost.status == "active", ModelPost.established_on <= before)
    if branch_id is not None:
        statement = statement.where(ModelPost.branch_id == branch_id)
    return [
        Subject(f"post:{p.id}", {"post_id": p.id}, p.branch_id, p.village_id)
        for p in session.execute(statement.order_by(ModelPost.id)).scalars()
    ]


def active_areas(session: Session, before: dt.datetime, branch_id: int | None) -> list[Subject]:
    statement = select(ResponsibilityArea).where(
        ResponsibilityArea.status == "active", ResponsibilityArea.activated_at <= before
    )
    if branch_id is not None:
        statement = statement.where(ResponsibilityArea.branch_id == branch_id)
    return [
        Subject(f"area:{a.id}", {"area_id": a.id}, a.branch_id, a.village_id)
        for a in session.execute(statement.order_by(ResponsibilityArea.id)).scalars()
    ]


QUERIES: dict[str, Callable[[Session, dt.datetime, int | None], list[Subject]]] = {
    "active_posts": active_posts,
    "active_areas": active_areas,
}


def subjects_of(session: Session, name: str, before: dt.datetime, branch_id: int | None) -> list[Subject]:
    query = QUERIES.get(name)
    if query is None:
        raise NotFound(f"no subject query {name!r}")
    return query(session, before, branch_id)
