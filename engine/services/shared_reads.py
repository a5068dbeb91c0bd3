"""Reads that the cases of one tick batch share in its write transaction.

A batch writes up to `timers.BATCH` cases' steps under one write lock; each step would read again
who holds the role its new task goes to, and the working calendar it counted with. Neither is
written by any step or service operation, so within the transaction one read serves the batch.
Nor are the answers a case's tasks received (completions), which its evaluation deadline counts
again before its event: the batch's cases' counts are read in one statement
(`service_calls.read_together`).
Outside a `shared` block every read is made afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")
_KEY = "xianfeng.shared_reads"


@contextmanager
def shared(session: Session) -> Iterator[None]:
    """Within the block, `once` reads each key once."""
    session.info[_KEY] = {}
    try:
        yield
    finally:
        session.info.pop(_KEY, None)


def once(session: Session, key: Hashable, read: Callable[[], T]) -> T:
    """`read()`, or what it gave for `key` earlier in the session's `shared` block."""
    cache: dict[Hashable, Any] | None = session.info.get(_KEY)
    if cache is None:
        return read()
    if key not in cache:
        cache[key] = read()
    return cache[key]


def keep(session: Session, key: Hashable, value: Any) -> None:
    """What `once` gives for `key` in the session's `shared` block, read ahead (several cases'
    reads in one statement); outside a block, nothing."""
    cache: dict[Hashable, Any] | None = session.info.get(_KEY)
    if cache is not None:
        cache[key] = value
