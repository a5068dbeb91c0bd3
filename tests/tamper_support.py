"""Breaking stored rows behind the system's back (this module holds no tests)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from xianfeng.engine.kernel import Kernel


def tamper(kernel: Kernel, statement: str, **params: Any) -> None:
    """Run `statement` with plain SQL on a connection of its own, foreign keys not enforced, as
    someone holding the database file (or a superuser's session) could: none of the system's
    hooks see it."""
    engine = sa.create_engine(kernel.db.url)  # SQLite leaves foreign keys unchecked unless asked
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            connection.execute(sa.text(statement), params)
    finally:
        engine.dispose()
