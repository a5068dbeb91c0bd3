"""The administrator's holiday table: public holidays and make-up working days (调休) per date.

`chinese_calendar` only knows the years the State Council has published and the package has shipped;
for later years (or to correct the package) an administrator records each day here, and
`load_calendar` turns the table into the `WorkingCalendar` the engine counts with.

The caller owns the transaction: these functions add, flush and delete but never commit, so a
recording can be part of a larger change and is rolled back with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.engine.actor import Actor
from xianfeng.engine.errors import RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import CalendarDay
from xianfeng.engine.models.org import ROLE_ADMIN
from xianfeng.engine.process.calendar import DAY_KINDS, WorkingCalendar, package_has_data

from . import chain

__all__ = ["list_days", "load_calendar", "record_day", "remove_day"]

_TEXT_LIMIT = 64  # CalendarDay.name and .recorded_by are String(64); PostgreSQL would refuse longer


def _check_kind(day: dt.date, kind: str) -> None:
    if kind not in DAY_KINDS:
        raise RuleViolation(
            f"calendar day kind must be 'holiday' or 'workday', got {kind!r}",
            day=day.isoformat(),
            kind=kind,
        )


def _check_text(field: str, value: str) -> None:
    if len(value) > _TEXT_LIMIT:
        raise RuleViolation(
            f"{field} is {len(value)} characters long; at most {_TEXT_LIMIT} are allowed",
            field=field,
        )


def _check_not_pointless(day: dt.date, kind: str) -> None:
    """Refuse a row that changes nothing, because it usually means the wrong date was typed.

    Without package data the baseline is Mon–Fri: a make-up workday belongs on a weekend and a holiday
    on a weekday. Where the package knows the year, the baseline is the package's answer, so a row that
    corrects the package (e.g. a weekday the package calls a holiday, recorded as a workday) is allowed.
    """
    iso = day.isoformat()
    if package_has_data(day.year):
        works = bool(chinese_calendar.is_workday(day))
        if kind == "workday" and works:
            raise RuleViolation(
                f"{iso} is already a working day in the packaged {day.year} calendar; "
                "record a workday only where the package has a day off",
                day=iso,
                kind=kind,
            )
        if kind == "holiday" and not works:
            raise RuleViolation(
                f"{iso} is already a day off in the packaged {day.year} calendar; "
                "record a holiday only where the package has a working day",
                day=iso,
                kind=kind,
            )
        return
    if kind == "workday" and day.weekday() < 5:
        raise RuleViolation(
            f"{iso} is already a weekday; record make-up workdays only on weekends", day=iso, kind=kind
        )
    if kind == "holiday" and day.weekday() >= 5:
        raise RuleViolation(
            f"{iso} is already a weekend day; record holidays only on weekdays", day=iso, kind=kind
        )


# The positional signature is the agreed service API (CLI and web call it as such).
def record_day(
    session: Session, day: dt.date, kind: str, name: str, recorded_by: str, now: dt.datetime
) -> CalendarDay:
    """Record (or update) one date as a holiday or a make-up workday and return its row.

    Recording an existing date replaces its kind and name and notes who changed it and when, so the
    table always says who is answerable for each day.
    """
    if isinstance(day, dt.datetime):
        raise TypeError(f"record_day takes a date, not a datetime: {day!r}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be an aware datetime, got naive {now!r}")
    _check_kind(day, kind)
    _check_text("name", name)
    _check_text("recorded_by", recorded_by)
    _check_not_pointless(day, kind)
    row = session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        session.add(row)
    row.kind = kind
    row.name = name
    row.recorded_by = recorded_by
    row.recorded_at = now.astimezone(dt.UTC)
    session.flush()
    return row


def remove_day(session: Session, day: dt.date) -> bool:
    """Delete the row for `day`; False if there was none, so the caller can say 'nothing to remove'."""
    row = session.get(CalendarDay, day)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def list_days(session: Session, year: int | None = None) -> list[CalendarDay]:
    """All recorded days in date order, or only those of `year`."""
    query = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        query = query.where(CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31))
    return list(session.scalars(query))


def load_calendar(session: Session) -> WorkingCalendar:
    """A `WorkingCalendar` honouring every recorded row; the table holds a few dozen rows a year."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    return WorkingCalendar({day: kind for day, kind in rows})


def working_days_left(kernel: Kernel, ends: Iterable[tuple[int, dt.datetime]]) -> dict[int, int]:
    """Working days from now until each end, by id, on the calendar the engine counts with."""
    now = kernel.clock.now()
    with kernel.db.unit_of_work(write=False) as uow:
        calendar = load_calendar(uow.session)
        return {key: calendar.working_days_between(now, end) for key, end in ends}


def add_holiday(kernel: Kernel, actor: Actor, day: dt.date, kind: str, name: str = "") -> CalendarDay:
    """An administrator records a holiday or a make-up workday; a chained event says who and when."""
    with kernel.db.unit_of_work() as uow:
        row = record_day(uow.session, day, kind, name, actor.username, kernel.clock.now())
        payload = {"day": day.isoformat(), "kind": kind, "name": name}
        chain.record(uow.session, kernel, actor, "holiday", payload, ROLE_ADMIN, only_if_changed=True)
        uow.commit()
    return row


def remove_holiday(kernel: Kernel, actor: Actor, day: dt.date) -> bool:
    """Take a date out of the table; False (and no event) when it was not recorded."""
    with kernel.db.unit_of_work() as uow:
        removed = remove_day(uow.session, day)
        if removed:
            chain.record(
                uow.session,
                kernel,
                actor,
                "holiday",
                {"day": day.isoformat(), "removed": True},
                ROLE_ADMIN,
            )
        uow.commit()
    return removed
