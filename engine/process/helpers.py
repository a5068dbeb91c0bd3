"""Functions that diagram scripts and task properties may call.

`now()` is the step's business time, so it is deterministic by construction. The working-day
helpers depend on the holiday table as it is when the step runs (an administrator may add 2027's
holidays later), so their answers go through the step's `EffectPort`: recorded live, fed back on
replay. The calendar is loaded lazily: most steps never count working days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ..clock import CHINA_TZ, parse_instant
from .calendar import WorkingCalendar
from .effects import EffectPort
from .sandbox_guards import SandboxViolation

# Counting working days walks the calendar day by day: bounded so that no script can keep a step
# (and the write lock it may hold) busy for seconds. Ten years of working days; twenty of dates.
MAX_WORKING_DAYS = 2_600
MAX_SPAN = dt.timedelta(days=20 * 366)


class StepHelpers:
    def __init__(self, at: dt.datetime, calendar_loader: Callable[[], WorkingCalendar]) -> None:
        self.at = at
        self._calendar_loader = calendar_loader
        self._calendar: WorkingCalendar | None = None

    @property
    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = self._calendar_loader()
        return self._calendar

    def functions(self, effects: EffectPort) -> dict[str, Callable[..., Any]]:
        def now() -> str:
            """The step's business time in China time, ISO 8601."""
            return self.at.astimezone(CHINA_TZ).isoformat()

        def today() -> str:
            return self.at.astimezone(CHINA_TZ).date().isoformat()

        def add_working_days(start: str, days: int) -> str:
            """End of the `days`-th working day after `start` (China's holiday calendar)."""
            start_text, count = str(start), int(days)
            if abs(count) > MAX_WORKING_DAYS:
                raise SandboxViolation(
                    f"add_working_days counts at most {MAX_WORKING_DAYS} working days, not {count}"
                )
            args = {"start": start_text, "days": count}
            return str(effects.call("add_working_days", args, lambda: self._add(start_text, count)))

        def working_days_between(start: str, end: str) -> int:
            args = {"start": str(start), "end": str(end)}
            if abs(parse_instant(args["end"]) - parse_instant(args["start"])) > MAX_SPAN:
                raise SandboxViolation("working_days_between counts over at most twenty years")
            return int(
                effects.call("working_days_between", args, lambda: self._between(args["start"], args["end"]))
            )

        return {
            "now": now,
            "today": today,
            "add_working_days": add_working_days,
            "working_days_between": working_days_between,
        }

    def _add(self, start: str, days: int) -> str:
        return self.calendar.add_working_days(parse_instant(start), days).isoformat()

    def _between(self, start: str, end: str) -> int:
        return self.calendar.working_days_between(parse_instant(start), parse_instant(end))
