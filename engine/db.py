"""SQLAlchemy engine/session factory and the unit of work.

The unit of work is the only place that commits. A service opens one, does its reads and writes
through `uow.session`, and calls `uow.commit()` exactly once; leaving the block any other way
rolls everything back, so an error mid-step leaves every table as it was.

On SQLite a writing unit of work starts with `BEGIN IMMEDIATE`: writers queue on the database lock
up front instead of failing later with SQLITE_BUSY when a read transaction tries to upgrade. On
PostgreSQL the same effect comes from `SELECT … FOR UPDATE` on the instance row.

A reading unit of work (`write=False`) on PostgreSQL runs each statement on its own (autocommit):
under READ COMMITTED a transaction gives its statements no common snapshot anyway, and the BEGIN
and ROLLBACK around it were two round trips to the server, the ROLLBACK also dropping every
statement psycopg had prepared on the connection (so none ever was). A reader that needs one
snapshot says so (`snapshot=True`: REPEATABLE READ). A reading unit may not write: a statement
that changes rows or the schema (`_WRITES`) is refused in one on both databases (`ReadOnlyUnit`).

SQLite makes a writer that finds the lock taken sleep and retry (1, 2, 5, 10… ms), however soon
the lock is released: under concurrent writers most of a write's latency became sleeping. So
writers of a database file first take turns on a lock file beside it (`WriterTurns`), which wakes
the next writer as soon as the previous one is done; SQLite's own lock is then free when asked for.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from .config import SQLITE_CACHE_MB, Settings
from .journal import capture

_WRITE_OPTION = "xianfeng_write"
_IDLE_SINCE = "xianfeng.idle_since"
PING_AFTER_IDLE = 10.0  # seconds a pooled PostgreSQL connection may idle before it is pinged
log = logging.getLogger("xianfeng.db")


class ReadOnlyUnit(RuntimeError):
    """A statement that writes, run in a unit of work opened to read."""


class WriterTurns:
    """Writers of one SQLite file take turns: threads on a lock, processes on a lock file.

    Only a waiting aid: SQLite's lock still guards the data. A writer that cannot have its turn
    within `timeout` (a stuck process) goes ahead and meets SQLite's busy timeout as before.
    """

    POLL = 0.0002  # seconds between tries of the file lock: well under a write's duration

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        # A lock file opened before a fork would be shared with the child, and a flock held through
        # a shared open file is held by both: each process opens its own.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def turn(self) -> Iterator[None]:
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(timeout=self.timeout):
            log.warning("no write turn on %s within %.0f s; writing without one", self.path, self.timeout)
            yield
            return
        try:
            held = self._take_file(deadline)
            try:
                yield
            finally:
                if held:
                    fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _take_file(self, deadline: float) -> bool:
        fd = self._file()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    log.warning("another process kept the write turn on %s; writing without one", self.path)
                    return False
                time.sleep(self.POLL)


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


class ReadThenWrite(UnitOfWork):
    """A unit of work that reads before it takes the write lock (see `unit_of_work_reading_first`)."""

    def __init__(self, session: Session, begin_write: Callable[[], None]) -> None:
        super().__init__(session)
        self._begin_write = begin_write
        self.writing = False

    def begin_write(self) -> None:
        """Wait for the write lock; what follows runs in one write transaction."""
        if self.writing:
            raise RuntimeError("the write transaction has begun already")
        self._begin_write()
        self.writing = True

    def commit(self) -> None:
        if not self.writing:
            raise RuntimeError("nothing to commit: begin_write() first")
        super().commit()


Work = TypeVar("Work", bound=UnitOfWork)


class Database:
    """The engine plus a session factory, configured for SQLite or PostgreSQL.

    SQLite keeps a page cache per connection, `sqlite_cache_mb` each (4 MiB unless configured):
    a server has one connection per thread and ticker in each worker, all reading the same file
    through the operating system's page cache, which they share. 4 MiB keeps the upper levels of
    the indexes a step walks and its hot tables in memory; a larger cache mostly copies, into each
    connection, pages the system already caches once, and grows a long-running worker's memory
    until every connection's cache is full (16 MiB each grew a worker of 4 threads by about 2 MiB
    per thousand completions, 64 MiB each could reach 320 MiB).
    """

    def __init__(
        self,
        url: str,
        sqlite_synchronous: str = "FULL",
        echo: bool = False,
        sqlite_cache_mb: int = SQLITE_CACHE_MB,
        ping_after_idle: float = PING_AFTER_IDLE,
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            _ensure_sqlite_folder(url)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine, sqlite_synchronous, sqlite_cache_mb)
        else:
            _ping_when_idle(self.engine, ping_after_idle)
        _refuse_writes_when_reading(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        capture.install(self.engine, self._sessions)
        path = _sqlite_file(url) if self.is_sqlite else None
        self.writer_turns = WriterTurns(path.with_name(path.name + ".writer-turn")) if path else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(
            settings.resolved_database_url,
            settings.sqlite_synchronous,
            sqlite_cache_mb=settings.sqlite_cache_mb,
        )

    @contextmanager
    def unit_of_work(self, write: bool = True, snapshot: bool = False) -> Iterator[UnitOfWork]:
        """Open a transaction; roll back unless `commit()` was called once inside the block.

        A reading unit (`write=False`) reads what each statement finds committed; `snapshot=True`
        makes all its statements read one moment of the database (SQLite's reads always do)."""
        turns = self.writer_turns
        with (
            turns.turn() if write and turns is not None else nullcontext(),
            self._transaction(write, UnitOfWork, snapshot) as uow,
        ):
            yield uow

    @contextmanager
    def unit_of_work_reading_first(self) -> Iterator[ReadThenWrite]:
        """SQLite only: read and compute outside any transaction, then `begin_write()` waits for
        the writer turn and begins the write transaction on the same connection.

        SQLite has one writer for the whole database; a step computed under its lock would keep
        every other writer waiting while it runs the engine. Reading first leaves the lock to the
        writes alone. Each read statement sees a consistent state of its own, not one snapshot
        across statements: the caller re-reads, under the lock, whatever must not have moved.
        """
        if not self.is_sqlite:
            raise RuntimeError("reading first is for SQLite: PostgreSQL locks the rows a step reads")
        turns = self.writer_turns
        with ExitStack() as held:  # the turn, if taken, is given back after the session is closed

            def reading_first(session: Session) -> ReadThenWrite:
                def begin_write() -> None:
                    if turns is not None:
                        held.enter_context(turns.turn())
                    session.connection().exec_driver_sql("BEGIN IMMEDIATE")

                return ReadThenWrite(session, begin_write)

            with self._transaction(None, reading_first) as uow:
                yield uow

    @contextmanager
    def _transaction(
        self, write: bool | None, make: Callable[[Session], Work], snapshot: bool = False
    ) -> Iterator[Work]:
        """A session, begun per `write` (see `_on_begin`), rolled back and closed unless committed."""
        session = self._sessions()
        uow = make(session)
        options: dict[str, Any] = {_WRITE_OPTION: write}
        if write is False and not self.is_sqlite:
            options["isolation_level"] = "REPEATABLE READ" if snapshot else "AUTOCOMMIT"
        try:
            session.connection(execution_options=options)
            yield uow
        finally:
            if not uow.committed:
                if write is False:
                    session.expunge_all()  # keep what was read usable; a rollback would expire it
                session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


# A statement that writes: led by a writing verb, or a WITH whose query names one (`x AS (DELETE …`).
_WRITES = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|CREATE|DROP|ALTER|COPY)\b"
    r"|\s*WITH\b.*\bAS\s*(NOT\s+)?(MATERIALIZED\s*)?\(\s*(INSERT|UPDATE|DELETE|MERGE)\b",
    re.IGNORECASE | re.DOTALL,
)


def _refuse_writes_when_reading(engine: Engine) -> None:
    """A write in a reading unit of work would, on PostgreSQL, be committed as it runs (reading
    units run in autocommit there): refuse it on both databases, before it reaches the server."""

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse(connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if connection.get_execution_options().get(_WRITE_OPTION, True) is False and _WRITES.match(statement):
            raise ReadOnlyUnit(f"a unit of work opened to read ran a write: {statement[:80]}")


def _sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for in-memory and URI forms."""
    path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path).expanduser()


def _ping_when_idle(engine: Engine, idle: float) -> None:
    """A pooled PostgreSQL connection idle for `idle` seconds is pinged as it is taken out, and
    replaced if the server dropped it (a restart, a failover, an idle timeout): requests never meet
    a dead connection. One that was just used is not: a ping on every checkout (SQLAlchemy's
    `pool_pre_ping`) is a round trip to the server more for each unit of work."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < idle:
            return  # just made, or just used
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"a pooled connection was dropped by the server: {exc}") from exc
        if not alive:
            raise DisconnectionError("a pooled connection was dropped by the server")


def _ensure_sqlite_folder(url: str) -> None:
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine, synchronous: str, cache_mb: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN IMMEDIATE is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")  # in KiB when negative
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, True)
        if write is None:
            return  # reading first: each statement on its own until begin_write()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
