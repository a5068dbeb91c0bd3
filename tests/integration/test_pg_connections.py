"""PostgreSQL connections: a pooled connection the server dropped while it idled is replaced
before anyone uses it; one that was just used is not pinged first (a round trip saved on every
unit of work)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from xianfeng.engine.db import Database
from xianfeng.engine.kernel import Kernel


def _pool_of_one(kernel: Kernel, idle: float) -> Database:
    if kernel.db.is_sqlite:
        pytest.skip("SQLite has no server to drop a connection")
    db = Database(kernel.db.url, ping_after_idle=idle)
    db.engine.pool.dispose()
    return db


def _backend_pid(db: Database) -> int:
    with db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def _dropped_by_the_server(kernel: Kernel, pid: int) -> None:
    with kernel.db.engine.begin() as connection:
        assert connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def test_a_connection_dropped_while_idle_is_replaced_before_use(backend: Kernel) -> None:
    db = _pool_of_one(backend, idle=0.2)
    try:
        first = _backend_pid(db)
        _dropped_by_the_server(backend, first)
        time.sleep(0.3)
        assert _backend_pid(db) != first  # pinged, found dropped, replaced: the request went through
    finally:
        db.engine.dispose()


def test_a_connection_just_used_is_not_pinged(backend: Kernel) -> None:
    """Within the idle time the pool hands the connection out as it is: no ping, so a connection
    the server dropped that very moment fails its first statement (then the pool replaces it)."""
    db = _pool_of_one(backend, idle=60.0)
    pings: list[object] = []
    real = db.engine.dialect.do_ping
    db.engine.dialect.do_ping = lambda connection: pings.append(connection) or real(connection)  # type: ignore[method-assign]
    try:
        first = _backend_pid(db)
        assert _backend_pid(db) == first and pings == []
        _dropped_by_the_server(backend, first)
        with pytest.raises(OperationalError):
            _backend_pid(db)
        assert _backend_pid(db) != first
        assert pings == []
    finally:
        db.engine.dispose()
