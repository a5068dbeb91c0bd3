"""Reads that the cases of one tick batch share in its write transaction.

A batch writes up to `timers.BATCH` cases' steps under one write lock; each step would read again
who holds the role its new task goes to, and the working calendar it counted with. Neither is
written by any step or service operation, so within the transaction one read serves the batch.
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
