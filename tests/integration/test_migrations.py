"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from support import CreationWalk

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Base, ChainHead, StatsShardCursor
from xianfeng.engine.services import stats_steps
from xianfeng.engine.services.setup import alembic_config


def test_migrations_at_head_match_the_models(backend: Kernel) -> None:
    with backend.db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrations_downgrade_and_upgrade_again(sqlite_kernel: Kernel) -> None:
    config = alembic_config(sqlite_kernel.db.url)
    command.downgrade(config, "base")
    with sqlite_kernel.db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() is None
    command.upgrade(config, "head")
    with sqlite_kernel.db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_single_chain_goes_on_as_shard_zero_when_upgrading(sqlite_kernel: Kernel) -> None:
    """A database at 0015 with a dated chain head upgrades: the head, its time and all."""
    config = alembic_config(sqlite_kernel.db.url)
    command.downgrade(config, "0015")
    head = "ab" * 32
    with sqlite_kernel.db.engine.begin() as connection:
        connection.execute(
            text("UPDATE ledger_head SET hash = :h, business_time = :t WHERE id = 1"),
            {"h": head, "t": datetime(2026, 3, 1, 9, 30, tzinfo=UTC)},
        )
    command.upgrade(config, "head")
    with sqlite_kernel.db.engine.connect() as connection:
        rows = connection.execute(
            select(ChainHead.shard, ChainHead.hash, ChainHead.business_time).order_by(ChainHead.shard)
        ).all()
    assert len(rows) == 16
    assert rows[0].hash == head
    assert rows[0].business_time.replace(tzinfo=UTC) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert {row.hash for row in rows[1:]} == {"0" * 64}


def test_the_statistics_keep_their_place_in_each_shard_when_upgrading(sqlite_kernel: Kernel) -> None:
    """A database whose statistics were folded by `seq` goes on from the same place, shard by shard."""
    CreationWalk(sqlite_kernel).start()
    CreationWalk(sqlite_kernel, candidate="member5", evaluators=("member6", "member7", "member8")).start()
    stats_steps.catch_up(sqlite_kernel)
    config = alembic_config(sqlite_kernel.db.url)
    command.downgrade(config, "0017")
    command.upgrade(config, "head")
    with sqlite_kernel.db.engine.connect() as connection:
        cursors = dict(connection.execute(select(StatsShardCursor.shard, StatsShardCursor.shard_seq)).all())
        heads = dict(connection.execute(select(ChainHead.shard, ChainHead.seq)).all())
    assert cursors == heads and sum(heads.values()) > 0
    assert not stats_steps.behind(sqlite_kernel)


def test_snapshots_are_compressed_with_lz4_on_a_postgresql_server_that_has_it(backend: Kernel) -> None:
    """Every step rewrites its case's snapshot: lz4 costs the server less than pglz (0021)."""
    if backend.db.is_sqlite:
        pytest.skip("SQLite stores the snapshot as it is: there is no compression to choose")
    with backend.db.engine.connect() as connection:
        methods = connection.execute(
            text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar()
        method = connection.execute(
            text(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'process_instance'::regclass AND attname = 'state_json'"
            )
        ).scalar()
    assert method == ("l" if "lz4" in (methods or []) else "")
