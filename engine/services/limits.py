"""Limits that every worker and every server shares: counters kept in the database.

A count kept in a process's memory lets each gunicorn worker (and each server behind a balancer)
admit its own quota: with two workers, ten objections an hour got through a limit of five. Here a
hit is one atomic `INSERT … ON CONFLICT DO UPDATE … RETURNING` on the `rate_limit` row of its key,
so two processes can never both take the last place (SQLite serialises writers; PostgreSQL locks
the row), and a refused hit writes nothing.

Two kinds of limit:
- a quota (`take`): at most `limit` hits in a window that starts at the first hit (objections per
  address per hour);
- a back-off (`fail`, `wait_for`): failures count until none has come for `forget_after`; past
  `free` failures each one blocks the key for a delay that doubles up to `longest` (sign-in).

Time is the kernel's clock, so tests move it instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, case, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..kernel import Kernel
from ..models import RateCounter

_COUNTERS: Table = RateCounter.__table__  # type: ignore[assignment]
_KEY_LENGTH = 200


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until a refused hit would be taken


@dataclass(frozen=True)
class Backoff:
    """Growing delays after repeated failures."""

    free: int  # failures before any delay
    first: dt.timedelta  # the delay after the first failure past `free`; it doubles with each one
    longest: dt.timedelta
    forget_after: dt.timedelta  # a key without failures for this long starts again from none

    def delay(self, failures: int) -> dt.timedelta:
        if failures < self.free:
            return dt.timedelta(0)
        doublings = min(failures - self.free, 40)
        return min(self.first * (2**doublings), self.longest)


def key_of(*parts: object) -> str:
    """A counter's key from its parts, cut to the column's length (hostile input may be long)."""
    return ":".join(str(part) for part in parts)[:_KEY_LENGTH]


def _upsert(kernel: Kernel) -> Any:
    return sqlite_insert if kernel.db.is_sqlite else postgresql_insert


def take(kernel: Kernel, key: str, limit: int, window: dt.timedelta) -> Decision:
    """Count one hit of `key` unless `limit` hits are counted in its current window already."""
    now = kernel.clock.now()
    expired = _COUNTERS.c.window_ends <= now
    statement = _upsert(kernel)(_COUNTERS).values(key=key, hits=1, window_ends=now + window, last_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[_COUNTERS.c.key],
        set_={
            "hits": case((expired, 1), else_=_COUNTERS.c.hits + 1),
            "window_ends": case((expired, statement.excluded.window_ends), else_=_COUNTERS.c.window_ends),
            "last_at": now,
        },
        where=or_(expired, _COUNTERS.c.hits < limit),
    ).returning(_COUNTERS.c.hits)
    with kernel.db.unit_of_work() as uow:
        taken = uow.session.execute(statement).first()
        ends = None
        if taken is None:
            ends = uow.session.execute(select(_COUNTERS.c.window_ends).where(_COUNTERS.c.key == key)).scalar()
        uow.commit()
    if taken is not None:
        return Decision(True)
    return Decision(False, _seconds(ends - now if ends is not None else window))


def give_back(kernel: Kernel, key: str) -> None:
    """Return a hit that was taken for an action which then did not happen (a refused form)."""
    with kernel.db.unit_of_work() as uow:
        # The only hit counted: the counter goes, as if nothing had been tried.
        uow.session.execute(delete(_COUNTERS).where(_COUNTERS.c.key == key, _COUNTERS.c.hits <= 1))
        uow.session.execute(
            _COUNTERS.update().where(_COUNTERS.c.key == key).values(hits=_COUNTERS.c.hits - 1)
        )
        uow.commit()


def wait_for(kernel: Kernel, keys: dict[str, Backoff]) -> tuple[int, set[str]]:
    """Seconds the longest blocked of `keys` (each with its back-off) must still wait (0: none),
    and which keys have failures counted. Only reads: a sign-in without failures writes nothing."""
    now = kernel.clock.now()
    wait = dt.timedelta(0)
    counted: set[str] = set()
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(_COUNTERS.c.key, _COUNTERS.c.hits, _COUNTERS.c.window_ends, _COUNTERS.c.last_at).where(
                _COUNTERS.c.key.in_(list(keys))
            )
        ).all()
    for key, hits, window_ends, last_at in rows:
        if window_ends <= now:
            continue
        counted.add(key)
        wait = max(wait, last_at + keys[key].delay(hits) - now)
    return _seconds(wait), counted


def fail(kernel: Kernel, keys: dict[str, Backoff]) -> None:
    """Count one failure of each key, in one transaction; each key's count lives its back-off's
    `forget_after` past its latest failure."""
    now = kernel.clock.now()
    expired = _COUNTERS.c.window_ends <= now
    with kernel.db.unit_of_work() as uow:
        for key, backoff in keys.items():
            ends = now + backoff.forget_after
            statement = _upsert(kernel)(_COUNTERS).values(key=key, hits=1, window_ends=ends, last_at=now)
            uow.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[_COUNTERS.c.key],
                    set_={
                        "hits": case((expired, 1), else_=_COUNTERS.c.hits + 1),
                        "window_ends": ends,
                        "last_at": now,
                    },
                )
            )
        uow.commit()


def clear(kernel: Kernel, keys: Iterable[str]) -> None:
    """Forget the counts of `keys` (a successful sign-in clears its account's failures)."""
    wanted = list(keys)
    if not wanted:
        return
    with kernel.db.unit_of_work() as uow:
        uow.session.execute(delete(_COUNTERS).where(_COUNTERS.c.key.in_(wanted)))
        uow.commit()


def purge(kernel: Kernel, now: dt.datetime) -> int:
    """Delete counters whose window ended (the ticker's housekeeping); reads first, so a quiet
    round takes no write lock."""
    gone = _COUNTERS.c.window_ends <= now
    with kernel.db.unit_of_work(write=False) as uow:
        if uow.session.execute(select(_COUNTERS.c.key).where(gone).limit(1)).first() is None:
            return 0
    with kernel.db.unit_of_work() as uow:
        count = uow.session.connection().execute(delete(_COUNTERS).where(gone)).rowcount
        uow.commit()
    return int(count or 0)


def _seconds(delta: dt.timedelta) -> int:
    return max(0, math.ceil(delta.total_seconds()))
