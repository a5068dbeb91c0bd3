"""Inbox lists a page at a time, with the total: the to-do list by due date, and 已办, 我发起的,
抄送我的 and 待签 newest (or, for signatures, oldest) first.

A to-do list is the union of disjoint parts — tasks assigned to the person, and tasks open to each
of their roles within their scope — and each part is one walk of an index ordered by due date
(`ix_human_task_assigned`, `_queue`, `_town_queue`). A page takes at most a page and one from each
part after the cursor and merges them, so the first page of a secretary with 20,000 open tasks
reads as many rows as one with 100; the total is a count over the same index ranges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_, union_all
from sqlalchemy.orm import Session

from ..actor import Actor
from ..kernel import Kernel
from ..models import Event, HumanTask, ProcessInstance, TaskCopy, TaskSigner
from . import inbox
from .inbox_query import PageAsk, TaskKey, TodoFilters
from .results import TaskSummary

Row = TypeVar("Row")
HT, PI = HumanTask, ProcessInstance


@dataclass(frozen=True)
class ListPage(Generic[Row]):
    rows: list[Row]
    total: int  # every row of the list (with its filters), not only this page's
    next: str | None  # pass as `after` for the next page; None on the last
    limit: int


def todo_page(kernel: Kernel, actor: Actor, filters: TodoFilters, ask: PageAsk) -> ListPage[TaskSummary]:
    """One page of the actor's to-do list, soonest due first, with the total of the filtered list.

    Three statements whatever the size: the page's keys (each part's first rows after the cursor,
    read from its index alone), those tasks with their cases, and the count of every part."""
    after = ask.after if isinstance(ask.after, TaskKey) else None
    now = kernel.clock.now()
    narrowed = [[part, *_narrowing(filters, now)] for part in inbox.actionable_parts(actor)]
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        keys = _page_keys(session, narrowed, after, ask.limit + 1, filters)
        shown = keys[: ask.limit]
        found = {row.id: row for row in session.execute(_summaries([k.id for k in shown]))}
        rows = [
            inbox._summary(
                session, kernel, (row, row.title, row.state_version, row.process_version_id), now, False
            )
            for row in (found.get(k.id) for k in shown)
            if row is not None
        ]
        total = _count(session, narrowed, filters)
        more = len(keys) > ask.limit
        return ListPage(rows, total, str(shown[-1]) if more and shown else None, ask.limit)


def todo_total(session: Session, actor: Actor) -> int:
    """How many tasks the actor may act on: one statement counting each part over its index range."""
    return _count(session, [[part] for part in inbox.actionable_parts(actor)], TodoFilters())


def _narrowing(filters: TodoFilters, now: dt.datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.branch_id is not None:
        where.append(HT.branch_id == filters.branch_id)
    if filters.overdue:
        where.append(HT.due_at < now)
    if filters.procedure:
        where.append(PI.process_key == filters.procedure)
    return where


def _summaries(ids: list[str]) -> Select[*tuple[Any, ...]]:
    """The columns a summary shows of these tasks and their cases, as plain rows: no ORM objects
    for a list that is only read."""
    columns = (HT.id, HT.instance_id, HT.spec_id, HT.name, HT.name_en, HT.role, HT.form)
    timing = (HT.assignee_user_id, HT.created_at, HT.due_at)
    return (
        select(*columns, *timing, PI.title, PI.state_version, PI.process_version_id)
        .join(PI, PI.id == HT.instance_id)
        .where(HT.id.in_(ids))
    )


def _page_keys(
    session: Session, narrowed: list[list[Any]], after: TaskKey | None, wanted: int, filters: TodoFilters
) -> list[TaskKey]:
    """The first `wanted` keys after the cursor, in order, from one UNION ALL of every part's first
    `wanted`: those with a due date in their order, then those without one by arrival (never
    overdue). Each member is a walk of the part's index that stops after `wanted` entries."""
    members = []
    for where in narrowed:
        if after is None or after.due_at is not None:
            dated = [*where, HT.due_at.is_not(None)]
            if after is not None:
                dated.append(
                    _beyond((HT.due_at, HT.created_at, HT.id), (after.due_at, after.created_at, after.id))
                )
            members.append(_keys(dated, filters).order_by(HT.due_at, HT.created_at, HT.id).limit(wanted))
        if not filters.overdue:
            undated = [*where, HT.due_at.is_(None)]
            if after is not None and after.due_at is None:
                undated.append(_beyond((HT.created_at, HT.id), (after.created_at, after.id)))
            members.append(_keys(undated, filters).order_by(HT.created_at, HT.id).limit(wanted))
    if not members:
        return []
    # SQLite takes ORDER BY and LIMIT in a compound's members only inside subqueries.
    statement = union_all(*[select(m.subquery()) for m in members])
    keys = [TaskKey(due, created, task_id) for task_id, due, created in session.execute(statement)]
    keys.sort(key=lambda k: (k.due_at is None, k.due_at or k.created_at, k.created_at, k.id))
    return keys[:wanted]


def _keys(where: list[Any], filters: TodoFilters) -> Select[str, dt.datetime | None, dt.datetime]:
    statement = select(HT.id, HT.due_at, HT.created_at)
    if filters.procedure:
        statement = statement.join(PI, PI.id == HT.instance_id)
    return statement.where(*where)


def _beyond(columns: tuple[Any, ...], values: tuple[Any, ...]) -> ColumnElement[bool]:
    """(a, b, …) > (x, y, …) as one row-value comparison, which both databases walk an index for;
    each value is bound with its column's type (UTC times)."""
    bound = [literal(value, column.type) for column, value in zip(columns, values, strict=True)]
    return tuple_(*columns) > tuple_(*bound)


def _count(session: Session, narrowed: list[list[Any]], filters: TodoFilters) -> int:
    """The parts' counts in one statement (a scalar subquery each, so each counts its index range
    on its own rather than one OR that must collect and de-duplicate every row)."""
    counts = []
    for where in narrowed:
        statement = select(func.count()).select_from(HT)
        if filters.procedure:
            statement = statement.join(PI, PI.id == HT.instance_id)
        counts.append(statement.where(*where).scalar_subquery())
    if not counts:
        return 0
    return sum(int(n or 0) for n in session.execute(select(*counts)).one())


def _newest_first(
    fetch: Callable[[int, int | None], list[dict[str, Any]]], key: str, ask: PageAsk, total: int
) -> ListPage[dict[str, Any]]:
    after = ask.after if isinstance(ask.after, int) else None
    rows = fetch(ask.limit + 1, after)
    shown = rows[: ask.limit]
    more = len(rows) > ask.limit
    return ListPage(shown, total, str(shown[-1][key]) if more and shown else None, ask.limit)


def done_page(kernel: Kernel, actor: Actor, ask: PageAsk) -> ListPage[dict[str, Any]]:
    """已办, newest first: a page after the event `ask.after`."""
    where = [
        Event.actor_user_id == actor.user_id,
        Event.kind.in_(inbox.DONE_KINDS),
        Event.instance_id.is_not(None),
    ]
    total = _total(kernel, select(func.count()).select_from(Event).where(*where))
    return _newest_first(lambda n, a: inbox.done_by(kernel, actor, n, a), "seq", ask, total)


def started_page(kernel: Kernel, actor: Actor, ask: PageAsk) -> ListPage[dict[str, Any]]:
    """我发起的, newest first: a page after the case `ask.after`."""
    total = _total(kernel, select(func.count()).select_from(PI).where(PI.started_by == actor.user_id))
    return _newest_first(lambda n, a: inbox.started_by(kernel, actor, n, a), "instance_id", ask, total)


def copies_page(kernel: Kernel, actor: Actor, ask: PageAsk) -> ListPage[dict[str, Any]]:
    """抄送我的, newest first: a page after the copy `ask.after`."""
    total = _total(
        kernel, select(func.count()).select_from(TaskCopy).where(TaskCopy.user_id == actor.user_id)
    )
    return _newest_first(lambda n, a: inbox.copied_to(kernel, actor, n, a), "id", ask, total)


def signing_page(kernel: Kernel, actor: Actor, ask: PageAsk) -> ListPage[dict[str, Any]]:
    """待签, oldest request first: a page after the request `ask.after`."""
    waiting = (TaskSigner.user_id == actor.user_id, TaskSigner.signed_at.is_(None))
    total = _total(kernel, select(func.count()).select_from(TaskSigner).where(*waiting))
    return _newest_first(lambda n, a: inbox.signing_for(kernel, actor, n, a), "id", ask, total)


def _total(kernel: Kernel, statement: Select[Any]) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(statement).scalar_one())
