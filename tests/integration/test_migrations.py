"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Base
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
