"""One injectable clock for the engine, its timers and diagram scripts.

Production uses `SystemClock`; tests use `ManualClock` and move it, never sleep. During a step
the business time of that step is the only "now" that timers and scripts see (see
`process.determinism.step_scope`), which is what makes replay reproduce a run exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

# China has one time zone and no daylight saving: a fixed offset is exact and deterministic.
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """Wall-clock time, always aware (UTC)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that only moves when told to; for tests, benchmarks and `tick --now`."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = _aware(start)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, when: dt.datetime) -> None:
        self._now = _aware(when)

    def advance(self, **delta: float) -> dt.datetime:
        self._now = self._now + dt.timedelta(**delta)
        return self._now


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"the clock needs an aware datetime, got naive {value!r}")
    return value


def parse_instant(text: str) -> dt.datetime:
    """Parse an ISO 8601 time; a value without an offset is taken as China time."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)
