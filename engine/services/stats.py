"""统计分析: figures for the town committee (the whole town, or one branch) and for a branch (its own).

Every figure is an SQL aggregate over indexed columns of the registers, the inbox and the step
timings folded from the log; no case is loaded. Codes are returned as stored (a post's category,
a record's service domain, an assessment's outcome): the page, the API and the workbook name them
in the reader's language. The assessment outcomes come with their order and words as the current
diagram declares them (`register_words`), so that a table lists each one, counted or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..clock import CHINA_TZ
from ..errors import NotAllowed, NotFound
from ..kernel import Kernel
from ..models import Branch, StatsCursor
from ..models.org import ROLE_BRANCH
from ..process.case_fields import Words
from . import authz, register_words, stats_queries
from .stats_queries import (
    AssessmentCount,
    BranchTasks,
    CycleSatisfaction,
    PostCount,
    RecordCount,
    RewardCount,
    StepFigure,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class StatsQuery:
    """What the reader asks for: one branch (the committee may choose; a branch has its own) and
    one year (for records, rewards, criticisms and step times; None for every year)."""

    branch_id: int | None = None
    year: int | None = None


@dataclass
class Figures:
    branch_id: int | None  # None: the whole town
    year: int | None
    branches: dict[int, str]  # the branches in scope, by id, in order
    choosable: dict[int, str]  # the branches the reader may ask for (all for the town-wide)
    generated_at: dt.datetime
    posts: list[PostCount] = field(default_factory=list)
    assessments: list[AssessmentCount] = field(default_factory=list)
    outcomes: dict[str, Words] = field(default_factory=dict)  # the diagram's outcomes, in its order
    satisfaction: list[CycleSatisfaction] = field(default_factory=list)
    tasks: list[BranchTasks] = field(default_factory=list)
    steps: list[StepFigure] = field(default_factory=list)
    records: list[RecordCount] = field(default_factory=list)
    rewards: list[RewardCount] = field(default_factory=list)
    steps_through_seq: int = 0  # the step timings include the log up to this event
    steps_through: dt.datetime | None = None


def scope_of(actor: Actor, asked: int | None) -> int | None:
    """The branch the actor may see figures of: any (or the town) for town-wide readers, their own
    for a branch; members and the public see none (a member has their own page, /me)."""
    if actor.roles & authz.TOWN_WIDE_READERS:
        return asked
    if actor.has(ROLE_BRANCH) and actor.branch_id is not None:
        if asked is not None and asked != actor.branch_id:
            raise NotAllowed(
                f"{actor.username} may see the statistics of their own branch only", branch_id=asked
            )
        return actor.branch_id
    raise NotAllowed(f"{actor.username} may not see statistics (the committee's and the branches')")


def year_range(year: int | None) -> tuple[dt.datetime, dt.datetime] | None:
    """A calendar year in China time, as the half-open range of instants it covers."""
    if year is None:
        return None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound(f"no statistics for the year {year}", year=year)
    start = dt.datetime(year, 1, 1, tzinfo=CHINA_TZ)
    return start, start.replace(year=year + 1)


def figures(kernel: Kernel, actor: Actor, query: StatsQuery) -> Figures:
    scope = scope_of(actor, query.branch_id)
    span = year_range(query.year)
    now = kernel.clock.now()
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        branches = _branches(session, scope)
        town_wide = bool(actor.roles & authz.TOWN_WIDE_READERS)
        choosable = _branches(session, None) if town_wide and scope is not None else branches
        cursor = session.get(StatsCursor, 1)
        return Figures(
            branch_id=scope,
            year=query.year,
            branches=branches,
            choosable=choosable,
            generated_at=now,
            posts=stats_queries.posts(session, scope),
            assessments=stats_queries.assessments(session, scope),
            outcomes=register_words.assessment_outcomes(kernel, session),
            satisfaction=stats_queries.satisfaction(session, scope),
            tasks=stats_queries.open_tasks(session, scope, now),
            steps=stats_queries.steps(session, scope, span),
            records=stats_queries.records(session, scope, span),
            rewards=stats_queries.rewards(session, scope, query.year, span),
            steps_through_seq=cursor.seq if cursor else 0,
            steps_through=cursor.business_time if cursor else None,
        )


def _branches(session: Session, scope: int | None) -> dict[int, str]:
    statement = select(Branch.id, Branch.name).order_by(Branch.id)
    if scope is not None:
        statement = statement.where(Branch.id == scope)
    found = {int(i): str(n) for i, n in session.execute(statement)}
    if scope is not None and not found:
        raise NotFound(f"no branch {scope}", branch_id=scope)
    return found
