"""The case list's query: the filters as SQL conditions, and one page found by keyset on
(started_at, id), newest first, with the total count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from ...clock import CHINA_TZ
from ...models import ProcessInstance
from ...process.catalog import Catalog
from . import case_people
from .case_filters import CaseFilters, Cursor, PageRequest
from .case_rows import CaseRow, case_rows, select_cases

PI = ProcessInstance


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int  # every case matching the filters, not only this page's
    next: str | None  # cursor of the older page (`after`), None on the last
    previous: str | None  # cursor of the newer page (`before`), None on the first
    limit: int


def conditions(session: Session, catalog: Catalog, filters: CaseFilters, scope: int | None) -> list[Any]:
    """The filters as SQL conditions; person and village become the ids of the instances they match."""
    where: list[Any] = []
    equal = (
        (PI.branch_id, scope),
        (PI.process_key, filters.procedure),
        (PI.status, filters.status),
        (PI.outcome, filters.outcome),
        (PI.branch_id, filters.branch_id),
    )
    where += [column == value for column, value in equal if value is not None]
    if filters.started_from:
        where.append(PI.started_at >= _midnight(filters.started_from))
    if filters.started_to:
        where.append(PI.started_at < _midnight(filters.started_to + dt.timedelta(days=1)))
    if filters.q:
        where.append(func.lower(PI.title).contains(filters.q.lower(), autoescape=True))
    narrowed = and_(*where) if where else PI.id.is_not(None)
    if filters.village_id is not None:
        villages = case_people.subject_villages(session, catalog, narrowed)
        ids = [i for i, found in villages.items() if filters.village_id in found]
        where.append(or_(PI.village_id == filters.village_id, _among(ids)))
    if filters.member_id is not None:
        where.append(_among(case_people.concerning(session, catalog, filters.member_id, narrowed)))
    return where


def _among(ids: Any) -> ColumnElement[bool]:
    ids = sorted(ids)
    return PI.id.in_(ids) if ids else false()


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA_TZ)


def count(session: Session, where: list[Any]) -> int:
    return int(session.execute(select(func.count()).select_from(PI).where(*where)).scalar_one())


def _older(cursor: Cursor) -> ColumnElement[bool]:
    return or_(PI.started_at < cursor.started_at, and_(PI.started_at == cursor.started_at, PI.id < cursor.id))


def _newer(cursor: Cursor) -> ColumnElement[bool]:
    return or_(PI.started_at > cursor.started_at, and_(PI.started_at == cursor.started_at, PI.id > cursor.id))


def page(
    session: Session, catalog: Catalog, filters: CaseFilters, scope: int | None, asked: PageRequest
) -> CasePage:
    where = conditions(session, catalog, filters, scope)
    if asked.before is not None:
        statement = select_cases([*where, _newer(asked.before)]).order_by(PI.started_at, PI.id)
        rows = session.execute(statement.limit(asked.limit + 1)).all()
        if len(rows) <= asked.limit:  # back at the newest cases: show the first page, full
            return page(session, catalog, filters, scope, PageRequest(limit=asked.limit))
        rows = rows[: asked.limit][::-1]
    else:
        after = [_older(asked.after)] if asked.after else []
        statement = select_cases([*where, *after]).order_by(PI.started_at.desc(), PI.id.desc())
        rows = session.execute(statement.limit(asked.limit)).all()
    first, last = (_cursor(rows[0]), _cursor(rows[-1])) if rows else (asked.after, None)
    return CasePage(
        rows=case_rows(session, catalog, rows),
        total=count(session, where),
        next=str(last) if last and _exists(session, where, _older(last)) else None,
        previous=str(first) if first and _exists(session, where, _newer(first)) else None,
        limit=asked.limit,
    )


def _cursor(row: Any) -> Cursor:
    return Cursor(row[0].started_at, row[0].id)


def _exists(session: Session, where: list[Any], condition: ColumnElement[bool]) -> bool:
    return session.execute(select(PI.id).where(*where, condition).limit(1)).first() is not None
