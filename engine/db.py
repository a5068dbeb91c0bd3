"""SQLAlchemy engine/session factory and the unit of work.

The unit of work is the only place that commits. A service opens one, does its reads and writes
through `uow.session`, and calls `uow.commit()` exactly once; leaving the block any other way
rolls everything back, so an error mid-step leaves every table as it was.

On SQLite a writing unit of work starts with `BEGIN IMMEDIATE`: writers queue on the database lock
up front instead of failing later with SQLITE_BUSY when a read transaction tries to upgrade. On
PostgreSQL the same effect comes from `SELECT … FOR UPDATE` on the instance row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings

_WRITE_OPTION = "xianfeng_write"


class UnitOfWork:
    """One database transaction. Commit once, or everything is rolled back."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.committed = False

    def commit(self) -> None:
        if self.committed:
            raise RuntimeError("a unit of work commits once")
        self.session.commit()
        self.committed = True


class Database:
    """The engine plus a session factory, configured for SQLite or PostgreSQL."""

    def __init__(self, url: str, sqlite_synchronous: str = "FULL", echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            _ensure_sqlite_folder(url)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine, sqlite_synchronous)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.resolved_database_url, settings.sqlite_synchronous)

    @contextmanager
    def unit_of_work(self, write: bool = True) -> Iterator[UnitOfWork]:
        """Open a transaction; roll back unless `commit()` was called once inside the block."""
        session = self._sessions()
        uow = UnitOfWork(session)
        try:
            session.connection(execution_options={_WRITE_OPTION: write})
            yield uow
        finally:
            if not uow.committed:
                if not write:
                    session.expunge_all()  # keep what was read usable; a rollback would expire it
                session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN IMMEDIATE is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: keeps the indexes hot as history grows
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
