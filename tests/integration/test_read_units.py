"""A unit of work opened to read (`write=False`): on PostgreSQL its statements run each on its own,
with no BEGIN and ROLLBACK around them (the ROLLBACK also dropped every statement psycopg had
prepared on the connection, so none ever stayed prepared), unless it asks for one snapshot
(`snapshot=True`); on both databases it refuses to write."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import sqlalchemy as sa

from xianfeng.engine.db import Database, ReadOnlyUnit
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import limits

_COUNTERS = sa.text("SELECT count(*) FROM rate_limit")
_ALONE = sa.text("SELECT transaction_timestamp() = statement_timestamp()")
_PREPARED = sa.text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%read_units_marker%'")


def _hits(kernel: Kernel, key: str) -> int | None:
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(
            sa.text("SELECT hits FROM rate_limit WHERE key = :key"), {"key": key}
        ).scalar_one_or_none()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE rate_limit SET hits = 99 WHERE key = 'read-units'",
        "DELETE FROM rate_limit WHERE key = 'read-units'",
        "  insert into rate_limit (key, hits, window_ends, last_at) "
        "SELECT 'read-units-2', hits, window_ends, last_at FROM rate_limit",
        "WITH gone AS (DELETE FROM rate_limit WHERE key = 'read-units' RETURNING key) "
        "SELECT count(*) FROM gone",
        "create table read_units_made (n integer)",
    ],
)
def test_a_reading_unit_refuses_a_write_and_leaves_the_rows_as_they_were(
    backend: Kernel, statement: str
) -> None:
    assert limits.take(backend, "read-units", 5, dt.timedelta(hours=1)).allowed
    refused = pytest.raises(ReadOnlyUnit, match="a unit of work opened to read ran a write")
    with refused, backend.db.unit_of_work(write=False) as uow:
        uow.session.execute(sa.text(statement))
    assert _hits(backend, "read-units") == 1
    assert _hits(backend, "read-units-2") is None
    assert "read_units_made" not in sa.inspect(backend.db.engine).get_table_names()
    # a writing unit may run the same statement
    with backend.db.unit_of_work() as uow:
        uow.session.execute(sa.text("UPDATE rate_limit SET hits = 2 WHERE key = 'read-units'"))
        uow.commit()
    assert _hits(backend, "read-units") == 2


def test_postgres_reads_each_statement_on_its_own(postgres_kernel: Kernel) -> None:
    """Inside a transaction every statement after the first starts later than the transaction;
    run on its own, a statement is its own transaction."""
    with postgres_kernel.db.unit_of_work(write=False) as uow:
        uow.session.execute(sa.text("SELECT 1"))
        time.sleep(0.02)
        alone = uow.session.execute(_ALONE).scalar()
    assert alone is True
    with postgres_kernel.db.unit_of_work() as uow:  # a writing unit is still one transaction
        uow.session.execute(sa.text("SELECT 1"))
        time.sleep(0.02)
        alone = uow.session.execute(_ALONE).scalar()
    assert alone is False


def test_postgres_keeps_what_it_prepared_across_reading_units(postgres_kernel: Kernel) -> None:
    """psycopg prepares a statement on its fifth run on a connection; a ROLLBACK forgets them all."""
    database = Database(postgres_kernel.db.url)  # one connection, used in turn by every unit below
    try:
        for _ in range(6):
            with database.unit_of_work(write=False) as uow:
                uow.session.execute(sa.text("SELECT 41 + 1 AS read_units_marker")).scalar_one()
        with database.unit_of_work(write=False) as uow:
            prepared = uow.session.execute(_PREPARED).scalar_one()
    finally:
        database.dispose()
    assert prepared == 1


def test_a_snapshot_reads_one_moment_while_others_commit(backend: Kernel) -> None:
    with backend.db.unit_of_work(write=False, snapshot=True) as uow:
        before = uow.session.execute(_COUNTERS).scalar_one()
        assert limits.take(backend, "read-units-snapshot", 5, dt.timedelta(hours=1)).allowed
        after = uow.session.execute(_COUNTERS).scalar_one()
    assert after == before
    with backend.db.unit_of_work(write=False) as uow:
        assert uow.session.execute(_COUNTERS).scalar_one() == before + 1


def test_what_only_reads_is_not_taken_for_a_write(backend: Kernel) -> None:
    """What only reads is not mistaken for a write: a WITH that selects, a column named like a verb."""
    assert limits.take(backend, "read-units-with", 5, dt.timedelta(hours=1)).allowed
    with backend.db.unit_of_work(write=False) as uow:
        found = uow.session.execute(
            sa.text(
                "WITH mine AS (SELECT key, hits AS updated FROM rate_limit WHERE key = 'read-units-with') "
                "SELECT updated FROM mine"
            )
        ).scalar_one()
    assert found == 1
