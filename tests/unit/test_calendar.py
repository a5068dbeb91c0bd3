"""Working days with China's holiday calendar: package data, administrator rows and the Mon–Fri fallback.

Dates in the package tests are the State Council's published 2025/2026 calendars as shipped in
`chinese_calendar` 1.11. Years beyond the package use 2031, far enough ahead that a package upgrade
will not cover it soon.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
import sqlalchemy
from sqlalchemy.orm import Session

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import RuleViolation
from xianfeng.engine.models import Base, CalendarDay
from xianfeng.engine.process.calendar import CalendarSource, WorkingCalendar, package_has_data
from xianfeng.engine.services.calendar_admin import list_days, load_calendar, record_day, remove_day

UTC = dt.UTC
NOW = dt.datetime(2030, 11, 20, 2, 0, tzinfo=UTC)
FALLBACK_2031 = (
    "no holiday calendar for 2031: counting Monday–Friday only; an administrator can record "
    "that year's holidays and make-up workdays"
)


def china(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


def calendar_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "xianfeng.calendar"]


# --- package data ------------------------------------------------------------------------------------


def test_package_covers_2004_to_2026_and_not_2031() -> None:
    assert package_has_data(2004) and package_has_data(2025) and package_has_data(2026)
    assert not package_has_data(2003)
    assert not package_has_data(2031)
    calendar = WorkingCalendar()
    assert calendar.source_for(2026) is CalendarSource.PACKAGE
    assert calendar.source_for(2031) is CalendarSource.WEEKDAYS


def test_package_2025_spring_festival_and_national_day() -> None:
    calendar = WorkingCalendar()
    assert not calendar.is_workday(dt.date(2025, 1, 28))  # Tuesday, Spring Festival eve
    assert not calendar.is_workday(dt.date(2025, 2, 4))  # Tuesday, last day of the holiday
    assert calendar.is_workday(dt.date(2025, 1, 26))  # Sunday made a working day
    assert calendar.is_workday(dt.date(2025, 2, 8))  # Saturday made a working day
    assert not calendar.is_workday(dt.date(2025, 10, 6))  # Monday, Mid-autumn Festival
    assert calendar.is_workday(dt.date(2025, 10, 11))  # Saturday made a working day
    assert calendar.is_workday(dt.date(2025, 10, 9))  # ordinary Thursday
    assert not calendar.is_workday(dt.date(2025, 10, 12))  # ordinary Sunday
    assert calendar.fallback_years() == set()


def test_national_day_2026_five_working_days_from_friday_25_september() -> None:
    # 25 Sep (Fri) to 27 Sep is Mid-autumn; 28–30 Sep work; 1–7 Oct National Day; 8, 9 Oct work.
    deadline = WorkingCalendar().add_working_days(china(2026, 9, 25, 10), 5)
    assert deadline == china(2026, 10, 10)
    assert deadline.tzinfo is CHINA_TZ
    assert deadline.isoformat() == "2026-10-10T00:00:00+08:00"


def test_make_up_saturday_counts_as_a_working_day() -> None:
    calendar = WorkingCalendar()
    # 14 Feb 2026 is a Saturday worked before the Spring Festival (15–23 Feb).
    assert calendar.add_working_days(china(2026, 2, 13, 9), 1) == china(2026, 2, 15)
    assert calendar.add_working_days(china(2026, 2, 13, 9), 2) == china(2026, 2, 25)
    # 10 Oct 2026 is a Saturday worked after National Day: the sixth working day from 25 Sep.
    assert calendar.add_working_days(china(2026, 9, 25, 10), 6) == china(2026, 10, 11)


# --- period semantics --------------------------------------------------------------------------------


def test_start_day_never_counts_and_deadline_is_end_of_day() -> None:
    calendar = WorkingCalendar()
    # Wednesday 6 May 2026 (after Labour Day): one working day is all of Thursday 7 May.
    assert calendar.add_working_days(china(2026, 5, 6, 0, 0), 1) == china(2026, 5, 8)
    assert calendar.add_working_days(china(2026, 5, 6, 23, 59), 1) == china(2026, 5, 8)
    assert calendar.add_working_days(china(2026, 5, 6, 9), 3) == china(
        2026, 5, 10
    )  # Thu, Fri, Sat 9 May (调休)


def test_start_is_read_in_china_time() -> None:
    calendar = WorkingCalendar()
    # 16:30 UTC on Thursday 17 Sep is 00:30 on Friday 18 Sep in China; Sunday 20 Sep is a make-up day.
    start = dt.datetime(2026, 9, 17, 16, 30, tzinfo=UTC)
    assert calendar.add_working_days(start, 1) == china(2026, 9, 21)
    # 15:30 UTC is still Thursday 17 Sep in China: Friday 18 Sep is the first working day.
    assert calendar.add_working_days(dt.datetime(2026, 9, 17, 15, 30, tzinfo=UTC), 1) == china(2026, 9, 19)


def test_zero_days_ends_with_the_start_day_even_on_a_holiday() -> None:
    calendar = WorkingCalendar()
    assert calendar.add_working_days(china(2026, 9, 25, 10), 0) == china(2026, 9, 26)
    assert calendar.add_working_days(china(2026, 5, 6, 9), 0) == china(2026, 5, 7)


def test_negative_days_refused() -> None:
    with pytest.raises(ValueError, match="negative number of working days"):
        WorkingCalendar().add_working_days(china(2026, 5, 6, 9), -1)


def test_naive_datetimes_refused() -> None:
    calendar = WorkingCalendar()
    naive = dt.datetime(2026, 5, 6, 9)
    with pytest.raises(ValueError, match="start must be an aware datetime"):
        calendar.add_working_days(naive, 1)
    with pytest.raises(ValueError, match="end must be an aware datetime"):
        calendar.working_days_between(china(2026, 5, 6, 9), naive)
    with pytest.raises(TypeError, match="not a datetime"):
        calendar.is_workday(naive)


def test_bad_override_kind_refused() -> None:
    with pytest.raises(ValueError, match="must be 'holiday' or 'workday', got 'rest'"):
        WorkingCalendar({dt.date(2031, 1, 2): "rest"})


# --- years beyond the package ------------------------------------------------------------------------


def test_admin_year_skips_weekday_holiday_and_counts_make_up_saturday(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="xianfeng.calendar")
    calendar = WorkingCalendar(
        {
            dt.date(2031, 10, 1): "holiday",  # Wednesday
            dt.date(2031, 10, 2): "holiday",  # Thursday
            dt.date(2031, 10, 3): "holiday",  # Friday
            dt.date(2031, 10, 11): "workday",  # Saturday
        }
    )
    assert calendar.source_for(2031) is CalendarSource.ADMIN
    assert not calendar.is_workday(dt.date(2031, 10, 1))
    assert calendar.is_workday(dt.date(2031, 10, 11))
    # From Tue 30 Sep: Mon 6 .. Fri 10 Oct are working days 1–5, Sat 11 Oct is the sixth.
    assert calendar.add_working_days(china(2031, 9, 30, 10), 5) == china(2031, 10, 11)
    assert calendar.add_working_days(china(2031, 9, 30, 10), 6) == china(2031, 10, 12)
    assert calendar.add_working_days(china(2031, 9, 30, 10), 7) == china(2031, 10, 14)
    assert calendar.fallback_years() == set()
    assert calendar_warnings(caplog) == []


def test_year_without_data_counts_weekdays_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="xianfeng.calendar")
    calendar = WorkingCalendar()
    # Tue 30 Sep 2031 + 5: Wed 1, Thu 2, Fri 3, Mon 6, Tue 7 Oct — no National Day without data.
    assert calendar.add_working_days(china(2031, 9, 30, 10), 5) == china(2031, 10, 8)
    assert calendar.is_workday(dt.date(2031, 10, 1))
    assert not calendar.is_workday(dt.date(2031, 10, 11))
    assert calendar.add_working_days(china(2031, 1, 2, 10), 10) == china(2031, 1, 17)
    assert calendar_warnings(caplog) == [FALLBACK_2031]
    assert calendar.fallback_years() == {2031}


def test_override_in_a_package_year_keeps_the_rest_of_the_package() -> None:
    # An administrator extends National Day 2026 by Thursday 8 Oct; 1–7 Oct stay holidays from the package.
    calendar = WorkingCalendar({dt.date(2026, 10, 8): "holiday"})
    assert calendar.source_for(2026) is CalendarSource.ADMIN
    assert not calendar.is_workday(dt.date(2026, 10, 1))
    assert calendar.is_workday(dt.date(2026, 10, 10))  # the package's make-up Saturday
    assert calendar.add_working_days(china(2026, 9, 25, 10), 5) == china(2026, 10, 11)


# --- working_days_between ----------------------------------------------------------------------------


def test_working_days_between_counts_days_after_start_through_end() -> None:
    calendar = WorkingCalendar()
    start = china(2026, 9, 25, 10)
    assert calendar.working_days_between(start, china(2026, 9, 30, 8)) == 3  # 28, 29, 30 Sep
    assert calendar.working_days_between(start, china(2026, 10, 7, 23)) == 3  # holiday week adds none
    assert calendar.working_days_between(start, china(2026, 10, 10, 12)) == 6  # 8, 9 and Saturday 10 Oct
    assert (
        calendar.working_days_between(china(2026, 9, 29, 15), china(2026, 10, 9, 9)) == 3
    )  # 30 Sep, 8, 9 Oct


def test_working_days_between_round_trips_a_deadline() -> None:
    calendar = WorkingCalendar()
    start = china(2026, 9, 25, 10)
    deadline = calendar.add_working_days(start, 5)
    # The deadline is 00:00 on Saturday 10 Oct, itself a working day that the period does not reach.
    assert calendar.working_days_between(start, deadline) == 5
    assert calendar.working_days_between(china(2026, 10, 8, 16), deadline) == 1  # "还剩 1 个工作日"


def test_working_days_between_is_zero_when_end_not_after_start() -> None:
    calendar = WorkingCalendar()
    assert calendar.working_days_between(china(2026, 10, 9, 9), china(2026, 10, 9, 9)) == 0
    assert calendar.working_days_between(china(2026, 10, 9, 9), china(2026, 9, 28, 9)) == 0
    assert calendar.working_days_between(china(2026, 10, 9, 9), china(2026, 10, 9, 18)) == 0  # same day


# --- the administrator's table -----------------------------------------------------------------------


@pytest.fixture
def session() -> Iterator[Session]:
    engine = sqlalchemy.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        yield db
    engine.dispose()


def test_record_list_update_and_remove(session: Session) -> None:
    holiday = record_day(session, dt.date(2031, 10, 1), "holiday", "国庆节", "admin1", NOW)
    record_day(session, dt.date(2031, 9, 27), "workday", "国庆节调休", "admin1", NOW)
    record_day(session, dt.date(2032, 1, 1), "holiday", "元旦", "admin1", NOW)
    assert (holiday.day, holiday.kind, holiday.name, holiday.recorded_by) == (
        dt.date(2031, 10, 1),
        "holiday",
        "国庆节",
        "admin1",
    )
    assert [row.day for row in list_days(session)] == [
        dt.date(2031, 9, 27),
        dt.date(2031, 10, 1),
        dt.date(2032, 1, 1),
    ]
    assert [row.day for row in list_days(session, 2031)] == [dt.date(2031, 9, 27), dt.date(2031, 10, 1)]

    later = NOW + dt.timedelta(days=3)
    updated = record_day(session, dt.date(2031, 10, 1), "holiday", "国庆节（第一天）", "admin2", later)
    assert session.scalar(sqlalchemy.select(sqlalchemy.func.count()).select_from(CalendarDay)) == 3
    assert (updated.name, updated.recorded_by) == ("国庆节（第一天）", "admin2")
    session.expire_all()
    reread = session.get(CalendarDay, dt.date(2031, 10, 1))
    assert reread is not None and reread.recorded_at == later and reread.recorded_at.tzinfo is not None

    assert remove_day(session, dt.date(2031, 9, 27)) is True
    assert remove_day(session, dt.date(2031, 9, 27)) is False
    assert [row.day for row in list_days(session, 2031)] == [dt.date(2031, 10, 1)]
    assert list_days(session, 2030) == []


def test_record_refuses_unknown_kind(session: Session) -> None:
    with pytest.raises(RuleViolation) as caught:
        record_day(session, dt.date(2031, 10, 1), "vacation", "", "admin1", NOW)
    assert caught.value.message == "calendar day kind must be 'holiday' or 'workday', got 'vacation'"
    assert list_days(session) == []


def test_record_refuses_workday_on_a_weekday(session: Session) -> None:
    with pytest.raises(RuleViolation) as caught:
        record_day(session, dt.date(2031, 5, 5), "workday", "", "admin1", NOW)
    assert caught.value.message == "2031-05-05 is already a weekday; record make-up workdays only on weekends"
    assert caught.value.code == "rule_violation"


def test_record_refuses_holiday_on_a_weekend(session: Session) -> None:
    with pytest.raises(RuleViolation) as caught:
        record_day(session, dt.date(2031, 5, 3), "holiday", "劳动节", "admin1", NOW)
    assert caught.value.message == "2031-05-03 is already a weekend day; record holidays only on weekdays"
    assert list_days(session) == []


def test_record_in_a_package_year_follows_the_package(session: Session) -> None:
    # Thursday 1 Oct 2026 is a packaged holiday: recording it as a workday corrects the package.
    record_day(session, dt.date(2026, 10, 1), "workday", "更正", "admin1", NOW)
    # Saturday 10 Oct 2026 is a packaged make-up workday: recording it as a holiday is allowed too.
    record_day(session, dt.date(2026, 10, 10), "holiday", "更正", "admin1", NOW)
    with pytest.raises(RuleViolation) as caught:
        record_day(session, dt.date(2026, 10, 2), "holiday", "国庆节", "admin1", NOW)
    assert caught.value.message == (
        "2026-10-02 is already a day off in the packaged 2026 calendar; "
        "record a holiday only where the package has a working day"
    )
    with pytest.raises(RuleViolation) as caught:
        record_day(session, dt.date(2026, 9, 20), "workday", "", "admin1", NOW)
    assert caught.value.message == (
        "2026-09-20 is already a working day in the packaged 2026 calendar; "
        "record a workday only where the package has a day off"
    )
    assert [row.day for row in list_days(session)] == [dt.date(2026, 10, 1), dt.date(2026, 10, 10)]


def test_record_refuses_naive_now(session: Session) -> None:
    with pytest.raises(ValueError, match="now must be an aware datetime"):
        record_day(session, dt.date(2031, 10, 1), "holiday", "", "admin1", dt.datetime(2030, 11, 20))


def test_load_calendar_honours_the_rows(session: Session, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="xianfeng.calendar")
    for day in (dt.date(2031, 10, 1), dt.date(2031, 10, 2), dt.date(2031, 10, 3)):
        record_day(session, day, "holiday", "国庆节", "admin1", NOW)
    record_day(session, dt.date(2031, 10, 11), "workday", "国庆节调休", "admin1", NOW)
    calendar = load_calendar(session)
    assert calendar.source_for(2031) is CalendarSource.ADMIN
    assert calendar.source_for(2026) is CalendarSource.PACKAGE
    assert calendar.add_working_days(china(2031, 9, 30, 10), 6) == china(2031, 10, 12)
    assert calendar.working_days_between(china(2031, 9, 30, 10), china(2031, 10, 12)) == 6
    assert calendar_warnings(caplog) == []
