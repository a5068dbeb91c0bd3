"""Working days under China's official holiday calendar, for public notices (公示) and deadlines.

Notice periods are set in working days, and China moves working days around every year: public
holidays fall on weekdays and make-up working days (调休) fall on weekends. Counting Monday–Friday
alone would end a notice in the middle of the National Day holiday. Three sources exist, in order
of authority:

* an administrator's rows (holiday / workday for one date), for years the package does not know yet
  or to correct it — a row always wins for its own date;
* the `chinese_calendar` package, which carries the State Council's published calendar for the years
  it knows (2004–2026 in version 1.11) and raises `NotImplementedError` for any other year;
* Monday–Friday, as a last resort that is logged once per year so that someone records the holidays.

This module is pure logic (no database, no SpiffWorkflow) so timers, scripts and the notice board
can share it; `services.calendar_admin.load_calendar` builds one from the administrator's table.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping
from enum import StrEnum

import chinese_calendar

from xianfeng.engine.clock import CHINA_TZ

__all__ = ["CHINA_TZ", "DAY_KINDS", "CalendarSource", "WorkingCalendar", "package_has_data"]

log = logging.getLogger("xianfeng.calendar")

HOLIDAY = "holiday"
WORKDAY = "workday"
DAY_KINDS = (HOLIDAY, WORKDAY)
_ONE_DAY = dt.timedelta(days=1)


class CalendarSource(StrEnum):
    """Where a year's working days come from; shown to administrators so a guess is never silent."""

    ADMIN = "admin"
    PACKAGE = "package"
    WEEKDAYS = "weekdays"


@functools.lru_cache(maxsize=256)
def package_has_data(year: int) -> bool:
    """True if `chinese_calendar` knows this year.

    We ask the package itself (it raises `NotImplementedError` outside its data) rather than copy its
    year range, so upgrading the package extends the covered years without a code change.
    """
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _is_weekday(day: dt.date) -> bool:
    return day.weekday() < 5


def _checked_overrides(overrides: Mapping[dt.date, str] | None) -> dict[dt.date, str]:
    """Copy and validate the administrator's rows; a typo in a kind must not silently mean 'workday'."""
    checked: dict[dt.date, str] = {}
    for day, kind in (overrides or {}).items():
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise TypeError(f"calendar overrides are keyed by date, got {day!r}")
        if kind not in DAY_KINDS:
            raise ValueError(
                f"calendar override for {day.isoformat()} must be 'holiday' or 'workday', got {kind!r}"
            )
        checked[day] = kind
    return checked


def _china_date(instant: dt.datetime, what: str) -> dt.date:
    """The calendar day of an aware instant in China; a naive time would be ambiguous, so refuse it."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got naive {instant!r}")
    return instant.astimezone(CHINA_TZ).date()


class WorkingCalendar:
    """Decides whether a date is a working day and counts working-day periods in China time."""

    def __init__(self, overrides: Mapping[dt.date, str] | None = None) -> None:
        self._overrides = _checked_overrides(overrides)
        self._admin_years = {day.year for day in self._overrides}
        self._fallback_years: set[int] = set()

    @property
    def overrides(self) -> Mapping[dt.date, str]:
        """The administrator's rows it honours: two calendars with the same rows count alike."""
        return self._overrides

    def source_for(self, year: int) -> CalendarSource:
        """Which source rules `year`: an administrator's rows first, then the package, then Mon–Fri."""
        if year in self._admin_years:
            return CalendarSource.ADMIN
        if package_has_data(year):
            return CalendarSource.PACKAGE
        return CalendarSource.WEEKDAYS

    def is_workday(self, day: dt.date) -> bool:
        """True if government offices work on `day` (a date in China, not a datetime).

        An administrator's row for the day wins. Otherwise the package decides when it knows the year —
        also in a year where the administrator has corrected a few days, because those corrections must
        not throw away the rest of the published calendar. Years known to neither count Mon–Fri.
        """
        if isinstance(day, dt.datetime):
            raise TypeError(f"is_workday takes a date in China time, not a datetime: {day!r}")
        kind = self._overrides.get(day)
        if kind is not None:
            return kind == WORKDAY
        if package_has_data(day.year):
            return bool(chinese_calendar.is_workday(day))
        if day.year not in self._admin_years:
            self._note_fallback(day.year)
        return _is_weekday(day)

    def _note_fallback(self, year: int) -> None:
        """Warn once per year: a guessed calendar must be visible, but not flood the log."""
        if year in self._fallback_years:
            return
        self._fallback_years.add(year)
        log.warning(
            "no holiday calendar for %d: counting Monday–Friday only; an administrator can record "
            "that year's holidays and make-up workdays",
            year,
        )

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The deadline of a period of `days` working days beginning at `start`.

        The start's own day never counts (a notice posted at 17:00 must not lose a day); the deadline is
        the end of the `days`-th working day after it, i.e. 00:00 China time of the next calendar day.
        `days=0` means the end of the start's day.
        """
        if days < 0:
            raise ValueError(f"a period cannot have a negative number of working days ({days})")
        day = _china_date(start, "start")
        counted = 0
        while counted < days:
            day += _ONE_DAY
            if self.is_workday(day):
                counted += 1
        return dt.datetime.combine(day + _ONE_DAY, dt.time(0), tzinfo=CHINA_TZ)

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working days after `start`'s China day up to the last China day `end` reaches.

        An `end` at exactly 00:00 China time (every deadline from `add_working_days`) does not reach into
        that day, so `working_days_between(s, add_working_days(s, n)) == n` and the notice board's
        "还剩 N 个工作日" never shows one day too many.
        """
        first = _china_date(start, "start")
        _china_date(end, "end")
        if end <= start:
            return 0
        last = (end.astimezone(CHINA_TZ) - dt.timedelta(microseconds=1)).date()
        count = 0
        day = first + _ONE_DAY
        while day <= last:
            count += self.is_workday(day)
            day += _ONE_DAY
        return count

    def fallback_years(self) -> set[int]:
        """Years counted Mon–Fri so far, so reports can ask an administrator to fill them in."""
        return set(self._fallback_years)
