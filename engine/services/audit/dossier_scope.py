"""Which register rows concern a dossier's subject: a set of ids, a branch or a year, as one SQL
condition per table (each table says which of its columns hold the member, post, area, branch,
year or dates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from ...clock import CHINA_TZ


@dataclass(frozen=True)
class Scope:
    """Which rows concern the subject: any of the ids, the branch or the year matches; a branch
    reading a year sees only its own rows (`within_branch`). `held_areas` are the areas a member
    holds a place in (listed, while their other members' rewards stay out)."""

    members: frozenset[int] = frozenset()
    posts: frozenset[int] = frozenset()
    areas: frozenset[int] = frozenset()
    held_areas: frozenset[int] = frozenset()
    branch: int | None = None
    year: int | None = None
    within_branch: int | None = None


@dataclass
class Columns:
    member: Any = None
    post: Any = None
    area: Any = None
    branch: Any = None
    year: Any = None
    when: Sequence[Any] = field(default_factory=tuple)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """A calendar year in China time, as the instants that bound it."""
    return dt.datetime(year, 1, 1, tzinfo=CHINA_TZ), dt.datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)


def matching(scope: Scope, columns: Columns) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    for column, ids in (
        (columns.member, scope.members),
        (columns.post, scope.posts),
        (columns.area, scope.areas),
    ):
        if column is not None and ids:
            clauses.append(column.in_(sorted(ids)))
    if columns.branch is not None and scope.branch is not None:
        clauses.append(columns.branch == scope.branch)
    if scope.year is not None:
        if columns.year is not None:
            clauses.append(columns.year == scope.year)
        start, end = year_bounds(scope.year)
        clauses.extend(and_(when >= start, when < end) for when in columns.when)
    condition = or_(*clauses) if clauses else false()
    if scope.within_branch is not None and columns.branch is not None:
        condition = and_(condition, columns.branch == scope.within_branch)
    return condition
