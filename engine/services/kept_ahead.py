"""The ticks a process computed before their deadlines (`fires_ahead`), kept in its memory."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .case_ahead import CaseAhead

MAX_KEPT = 5_000  # computed ticks a process keeps at most (each about 35 kB, its snapshot compressed)


@dataclass(frozen=True)
class Ahead:
    """A case's tick, computed for its deadline: what the case was (`version`) and when it runs;
    no `case` if computing it failed (its tick at the deadline reports why)."""

    case: CaseAhead | None
    version: int
    at: dt.datetime


class FiresAhead:
    """One process's ticks computed ahead, by case; shared by its ticker and whoever ticks."""

    def __init__(self) -> None:
        self._by_case: dict[int, Ahead] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_case)

    def keep(self, instance_id: int, ahead: Ahead) -> None:
        with self._lock:
            if instance_id in self._by_case or len(self._by_case) < MAX_KEPT:
                self._by_case[instance_id] = ahead

    def full(self) -> bool:
        with self._lock:
            return len(self._by_case) >= MAX_KEPT

    def holds(self, instance_id: int, version: int) -> bool:
        with self._lock:
            kept = self._by_case.get(instance_id)
            return kept is not None and kept.version == version

    def take(self, instance_id: int) -> Ahead | None:
        with self._lock:
            return self._by_case.pop(instance_id, None)

    def drop_before(self, oldest: dt.datetime) -> None:
        """Forget ticks computed for deadlines before `oldest`."""
        with self._lock:
            for instance_id in [i for i, a in self._by_case.items() if a.at < oldest]:
                del self._by_case[instance_id]
