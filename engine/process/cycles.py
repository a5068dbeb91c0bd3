"""Repeating schedules written in diagrams as ISO 8601 repeating intervals.

`R/2027-01-04T09:00:00+08:00/P6M` means: from that time, every six months, forever;
`R4/…/P3M` stops after four occurrences. Months and years are calendar months (the 31st becomes the
last day of a shorter month), which is what "every half year" means to a branch secretary.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from ..clock import parse_instant

_PERIOD = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?$")


@dataclass(frozen=True)
class Cycle:
    start: dt.datetime
    years: int
    months: int
    days: int
    repeats: int | None  # None: forever

    def occurrence(self, index: int) -> dt.datetime:
        month_index = self.start.month - 1 + index * (self.years * 12 + self.months)
        year, month = self.start.year + month_index // 12, month_index % 12 + 1
        day = min(self.start.day, calendar.monthrange(year, month)[1])
        return self.start.replace(year=year, month=month, day=day) + dt.timedelta(days=index * self.days)

    def latest_at_or_before(self, now: dt.datetime) -> dt.datetime | None:
        """The most recent occurrence not after `now`, or None before the first one."""
        if now < self.start:
            return None
        index = 0
        while True:
            following = index + 1
            if self.repeats is not None and following >= self.repeats:
                return self.occurrence(index)
            if self.occurrence(following) > now:
                return self.occurrence(index)
            index = following


def parse_cycle(text: str) -> Cycle:
    parts = text.strip().split("/")
    if len(parts) != 3 or not parts[0].startswith("R"):
        raise ValueError(
            f"a cycle is R[n]/<start>/<period>, e.g. R/2027-01-04T09:00:00+08:00/P6M; got {text!r}"
        )
    repeats = int(parts[0][1:]) if parts[0][1:] else None
    start = parse_instant(parts[1])
    match = _PERIOD.match(parts[2])
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"period {parts[2]!r} is not P…Y…M…W…D (calendar periods)")
    years, months = int(match["y"] or 0), int(match["m"] or 0)
    days = int(match["w"] or 0) * 7 + int(match["d"] or 0)
    if years == months == days == 0:
        raise ValueError("a cycle's period cannot be zero")
    return Cycle(start=start, years=years, months=months, days=days, repeats=repeats)
