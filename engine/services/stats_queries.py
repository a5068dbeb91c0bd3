"""The aggregates behind the statistics, one query each, scoped to a branch or the whole town.

Each groups on indexed columns (a post's branch, an assessment's year, a task's due time, a timing's
branch and end) and returns plain rows; `stats.figures` gathers them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..models import (
    AreaWorkRecord,
    AssessmentRecord,
    Criticism,
    HumanTask,
    Member,
    ModelPost,
    ProcessVersion,
    ResponsibilityArea,
    Reward,
    StepTiming,
)
from ..models.org import ROLE_PUBLIC

Span = tuple[dt.datetime, dt.datetime] | None


@dataclass(frozen=True)
class PostCount:
    branch_id: int
    category: str
    status: str
    count: int


@dataclass(frozen=True)
class AssessmentCount:
    year: int
    outcome: str
    count: int


@dataclass(frozen=True)
class CycleSatisfaction:
    year: int
    assessments: int
    responses: int
    satisfaction: float  # mean of the posts' satisfaction rates (%)
    score: float  # mean assessment score


@dataclass(frozen=True)
class BranchTasks:
    branch_id: int | None
    open: int
    overdue: int


@dataclass(frozen=True)
class StepFigure:
    process_key: str
    process: str  # the procedure's name in its current version ("中文 English")
    spec_id: str
    name: str
    name_en: str
    done: int
    average_days: float
    longest_days: int
    late: int


@dataclass(frozen=True)
class RecordCount:
    kind: str
    domain: str
    count: int


@dataclass(frozen=True)
class RewardCount:
    branch_id: int
    rewards: int
    amount: float
    criticisms: int


def _number(value: Decimal | float | None, places: int = 1) -> float:
    return round(float(value), places) if value is not None else 0.0


def _scoped(statement: Any, column: Any, scope: int | None) -> Any:
    return statement if scope is None else statement.where(column == scope)


def posts(session: Session, scope: int | None) -> list[PostCount]:
    statement = (
        select(ModelPost.branch_id, ModelPost.category, ModelPost.status, func.count())
        .group_by(ModelPost.branch_id, ModelPost.category, ModelPost.status)
        .order_by(ModelPost.branch_id, ModelPost.category, ModelPost.status)
    )
    rows = session.execute(_scoped(statement, ModelPost.branch_id, scope))
    return [PostCount(int(b), str(c), str(s), int(n)) for b, c, s, n in rows]


def _assessed(statement: Any, scope: int | None) -> Any:
    if scope is None:
        return statement
    return statement.join(ModelPost, ModelPost.id == AssessmentRecord.post_id).where(
        ModelPost.branch_id == scope
    )


def assessments(session: Session, scope: int | None) -> list[AssessmentCount]:
    statement = (
        select(AssessmentRecord.year, AssessmentRecord.outcome, func.count())
        .group_by(AssessmentRecord.year, AssessmentRecord.outcome)
        .order_by(AssessmentRecord.year, AssessmentRecord.outcome)
    )
    return [
        AssessmentCount(int(y), str(o), int(n)) for y, o, n in session.execute(_assessed(statement, scope))
    ]


def satisfaction(session: Session, scope: int | None) -> list[CycleSatisfaction]:
    statement = (
        select(
            AssessmentRecord.year,
            func.count(),
            func.coalesce(func.sum(AssessmentRecord.responses), 0),
            func.avg(AssessmentRecord.satisfaction),
            func.avg(AssessmentRecord.score),
        )
        .group_by(AssessmentRecord.year)
        .order_by(AssessmentRecord.year)
    )
    return [
        CycleSatisfaction(int(y), int(n), int(r), _number(s), _number(c))
        for y, n, r, s, c in session.execute(_assessed(statement, scope))
    ]


def open_tasks(session: Session, scope: int | None, now: dt.datetime) -> list[BranchTasks]:
    """Tasks people must still act on, and how many of them are past due, per branch (the villagers'
    single-use links are not counted: no one is late on a villager's behalf)."""
    overdue = func.sum(case((HumanTask.due_at < now, 1), else_=0))
    statement = (
        select(HumanTask.branch_id, func.count(), overdue)
        .where(HumanTask.role != ROLE_PUBLIC)
        .group_by(HumanTask.branch_id)
        .order_by(HumanTask.branch_id)
    )
    rows = session.execute(_scoped(statement, HumanTask.branch_id, scope))
    return [BranchTasks(b, int(n), int(o or 0)) for b, n, o in rows]


def _process_names(session: Session) -> dict[str, str]:
    names: dict[str, str] = {}
    rows = session.execute(
        select(ProcessVersion.process_key, ProcessVersion.name).order_by(ProcessVersion.version)
    )
    for key, name in rows:
        names[str(key)] = str(name)  # the newest version's name wins
    return names


def steps(session: Session, scope: int | None, span: Span) -> list[StepFigure]:
    """Per step of each procedure: how many were done, in how many working days on average and at
    most, and how many after their due time. A task that went with its case (withdrawn, ended by a
    timer) was not acted on and is not counted."""
    late = func.sum(case((StepTiming.late.is_(True), 1), else_=0))
    statement = (
        select(
            StepTiming.process_key,
            StepTiming.spec_id,
            func.max(StepTiming.name),
            func.max(StepTiming.name_en),
            func.count(),
            func.avg(StepTiming.working_days),
            func.max(StepTiming.working_days),
            late,
        )
        .where(StepTiming.ended_at.is_not(None), StepTiming.ended_by != "")
        .group_by(StepTiming.process_key, StepTiming.spec_id)
        .order_by(StepTiming.process_key, func.min(StepTiming.created_at))
    )
    statement = _scoped(statement, StepTiming.branch_id, scope)
    if span is not None:
        statement = statement.where(StepTiming.ended_at >= span[0], StepTiming.ended_at < span[1])
    processes = _process_names(session)
    return [
        StepFigure(
            str(k),
            processes.get(str(k), str(k)),
            str(s),
            str(n),
            str(e or ""),
            int(c),
            _number(a),
            int(m or 0),
            int(lt or 0),
        )
        for k, s, n, e, c, a, m, lt in session.execute(statement)
    ]


def records(session: Session, scope: int | None, span: Span) -> list[RecordCount]:
    statement = (
        select(AreaWorkRecord.kind, AreaWorkRecord.domain, func.count())
        .group_by(AreaWorkRecord.kind, AreaWorkRecord.domain)
        .order_by(AreaWorkRecord.kind, AreaWorkRecord.domain)
    )
    if scope is not None:
        statement = statement.join(ResponsibilityArea, ResponsibilityArea.id == AreaWorkRecord.area_id).where(
            ResponsibilityArea.branch_id == scope
        )
    if span is not None:
        first, after = span[0].date(), span[1].date()
        statement = statement.where(AreaWorkRecord.happened_on >= first, AreaWorkRecord.happened_on < after)
    return [RecordCount(str(k), str(d or ""), int(n)) for k, d, n in session.execute(statement)]


def rewards(session: Session, scope: int | None, year: int | None, span: Span) -> list[RewardCount]:
    """Rewards (how many, how much) and intra-Party criticisms per branch of the member concerned."""
    given = (
        select(Member.branch_id, func.count(), func.coalesce(func.sum(Reward.amount), 0))
        .select_from(Reward)
        .join(Member, Member.id == Reward.member_id)
        .group_by(Member.branch_id)
    )
    criticised = (
        select(Member.branch_id, func.count())
        .select_from(Criticism)
        .join(Member, Member.id == Criticism.member_id)
        .group_by(Member.branch_id)
    )
    if year is not None:
        given = given.where(Reward.year == year)
    if span is not None:
        criticised = criticised.where(Criticism.recorded_at >= span[0], Criticism.recorded_at < span[1])
    by_branch: dict[int, list[Any]] = {}
    for branch, count, amount in session.execute(_scoped(given, Member.branch_id, scope)):
        by_branch.setdefault(int(branch), [0, 0.0, 0])[:2] = [int(count), _number(amount, 2)]
    for branch, count in session.execute(_scoped(criticised, Member.branch_id, scope)):
        by_branch.setdefault(int(branch), [0, 0.0, 0])[2] = int(count)
    return [RewardCount(b, r, a, c) for b, (r, a, c) in sorted(by_branch.items())]
