"""The holiday table as administrators keep it on a page: `calendar_admin` records and removes the
days (and refuses pointless ones); this adds who may, and says in Chinese why a day was refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import chinese_calendar

from ...actor import Actor
from ...errors import RuleViolation
from ...kernel import Kernel
from ...process.calendar import package_has_data
from .. import calendar_admin
from .common import check_may_manage, check_may_read, refused


@dataclass(frozen=True)
class Day:
    day: dt.date
    kind: str
    name: str
    recorded_by: str
    recorded_at: dt.datetime


def list_days(kernel: Kernel, actor: Actor, year: int | None = None) -> list[Day]:
    check_may_read(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        return [
            Day(r.day, r.kind, r.name, r.recorded_by, r.recorded_at)
            for r in calendar_admin.list_days(uow.session, year)
        ]


def add(kernel: Kernel, actor: Actor, day: dt.date, kind: str, name: str = "") -> Day:
    check_may_manage(actor)
    if len(name.strip()) > 64:
        raise refused("the name has more than 64 characters", "名称最多 64 个字", field="name")
    try:
        row = calendar_admin.add_holiday(kernel, actor, day, kind, name.strip())
    except RuleViolation as exc:
        raise refused(exc.message, _why_zh(day, kind), **exc.params) from exc
    return Day(row.day, row.kind, row.name, row.recorded_by, row.recorded_at)


def remove(kernel: Kernel, actor: Actor, day: dt.date) -> bool:
    check_may_manage(actor)
    return calendar_admin.remove_holiday(kernel, actor, day)


def _why_zh(day: dt.date, kind: str) -> str:
    """The reason `calendar_admin` refused the day, in Chinese (its rules, worded for the page)."""
    if kind not in ("holiday", "workday"):
        return "类型应为节假日或调休上班日"
    packaged = package_has_data(day.year)
    works = bool(chinese_calendar.is_workday(day)) if packaged else day.weekday() < 5
    where = f"在 {day.year} 年内置日历中" if packaged else ""
    if kind == "workday" and works:
        return f"{day} {where}已是工作日，无需登记调休上班"
    if kind == "holiday" and not works:
        return f"{day} {where}已是休息日，无需登记为节假日"
    return "不符合节假日登记规则"
