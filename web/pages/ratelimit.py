"""A small in-memory limit of how often one client may do something (e.g. file objections).

In memory and per process: enough to stop one person flooding the notice board from one address;
several server processes would each keep their own count. Time is the kernel's clock, so tests
move it instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque


class RateLimit:
    def __init__(self, limit: int, window: dt.timedelta) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[dt.datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: dt.datetime) -> deque[dt.datetime]:
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        return hits

    def allows(self, key: str, now: dt.datetime) -> bool:
        """Whether `key` may act once more now (without counting it)."""
        with self._lock:
            return len(self._recent(key, now)) < self.limit

    def record(self, key: str, now: dt.datetime) -> None:
        """Count one action; addresses whose actions all fell out of the window are forgotten."""
        with self._lock:
            for other in list(self._hits):
                if not self._recent(other, now):
                    del self._hits[other]
            self._recent(key, now).append(now)
