"""A tick batch's writes to its cases' own inbox, timer, link and notification rows, run together.

When a deadline that 2,000 cases share passes, each case's step deletes and inserts a few rows of
its own in four tables, one statement each: most of a step's statements, each a trip through
SQLAlchemy and the driver for one or two rows. Within `deferring`, those statements wait (their
row changes are recorded in the journal at once, so each event records its own) and run at the
end of the batch as one statement per kind with every case's rows (`flush`).

This must not change what anything reads: before any other statement that touches a table with
writes waiting runs on the connection, they are run first (`_before_execute`), in order. A
statement whose tables cannot be told (text SQL) runs them first too, unless it names the tables
it reads (`TABLES_OPTION`). Statements of different rows commute, so waiting statements are
grouped by kind when no row is touched twice; when one is (a step inserting a timer that a later
step of the same case deletes), they run in the order they were made. On PostgreSQL, which executes
each row of an executemany on its own, a group runs as one statement where its writer says how
(`together`): rows deleted or updated by `key = ANY(keys)`. (Inserts stay an executemany: a
multi-row INSERT, built and parsed anew for each number of rows, costs both sides more.)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.sql import util as sql_util
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

# The tables whose rows belong to one case and are read by no service operation.
DEFERRABLE = frozenset({"human_task", "timer", "public_link", "notification"})
# On a text statement: the tables it reads, so that waiting writes to others need not run first.
TABLES_OPTION = "xianfeng_tables"
_KEY = "xianfeng.deferred_writes"


# How a group of the same statement's rows runs as few statements on PostgreSQL, where each row of
# an executemany is executed by the server on its own: (statement, parameters) to run instead.
Together = Callable[[list[dict[str, Any]]], list[tuple[Any, Any]]]


@dataclass
class _Queued:
    statement: Any
    params: list[dict[str, Any]]
    table: str
    keys: tuple[Any, ...]  # the rows it touches by key (none: an insert of generated keys)
    together: Together | None = None


@dataclass
class Deferred:
    """The statements waiting on one connection, in the order they were made."""

    queued: list[_Queued] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)  # those the queued statements write
    running: bool = False

    def queue(self, waiting: _Queued) -> None:
        self.queued.append(waiting)
        self.tables.add(waiting.table)

    def flush(self, connection: Connection) -> None:
        """Run what waits: grouped by statement (and the columns its rows give) when no row is
        touched twice, else in order."""
        queued, self.queued, self.tables = self.queued, [], set()
        if not queued:
            return
        touched = [(q.table, key) for q in queued for key in q.keys]
        groups: dict[Any, list[_Queued]] = {}
        if len(touched) == len(set(touched)):
            for q in queued:
                groups.setdefault((id(q.statement), frozenset(q.params[0])), []).append(q)
        else:
            groups = {index: [q] for index, q in enumerate(queued)}
        self.running = True
        try:
            for group in groups.values():
                params = [p for q in group for p in q.params]
                together = group[0].together
                if together is None or connection.dialect.name != "postgresql" or len(params) < 2:
                    connection.execute(group[0].statement, params)
                    continue
                for statement, bound in together(params):
                    connection.execute(statement, bound)
        finally:
            self.running = False


def active(connection: Connection) -> Deferred | None:
    deferred = connection.info.get(_KEY)
    return deferred if isinstance(deferred, Deferred) and not deferred.running else None


def run(
    connection: Connection,
    statement: Any,
    params: list[dict[str, Any]],
    table: str,
    keys: tuple[Any, ...],
    together: Together | None = None,
) -> None:
    """Run the statement now, or queue it within `deferring` if its table is deferrable; a group of
    them is run by `together` on PostgreSQL, if given."""
    if not params:
        return
    deferred = active(connection)
    if deferred is None or table not in DEFERRABLE:
        connection.execute(statement, params)
        return
    deferred.queue(_Queued(statement, params, table, keys, together))


@contextmanager
def deferring(connection: Connection) -> Iterator[Deferred]:
    """Within the block, writes to deferrable tables wait; the caller flushes them (`flush`) before
    it commits, and whatever still waits on leaving is dropped (the block ended in a rollback)."""
    deferred = Deferred()
    connection.info[_KEY] = deferred
    try:
        yield deferred
    finally:
        connection.info.pop(_KEY, None)


# What `_tables_of` found for each statement still alive: most are built once and run on every
# step, and walking one costs more than running it.
_FOUND: dict[int, tuple[weakref.ref[Any], frozenset[str] | None]] = {}


def _tables_of(clause: Any, options: dict[str, Any]) -> frozenset[str] | None:
    """The tables a statement touches; None when they cannot be told."""
    named = options.get(TABLES_OPTION)
    if named is not None:
        return frozenset(named)
    known = _FOUND.get(id(clause))
    if known is not None and known[0]() is clause:
        return known[1]
    tables: frozenset[str] | None = None
    if not isinstance(clause, TextClause | TextualSelect):
        found = sql_util.find_tables(clause, include_aliases=True, include_crud=True, include_joins=True)
        tables = frozenset(str(getattr(table, "name", "")) for table in found)
    key = id(clause)
    _FOUND[key] = (weakref.ref(clause, lambda _gone: _FOUND.pop(key, None)), tables)
    return tables


def _before_execute(
    connection: Connection, clause: Any, _multi: Any, _params: Any, options: dict[str, Any]
) -> None:
    deferred = active(connection)
    if deferred is None or not deferred.queued:
        return
    tables = _tables_of(clause, options)
    if tables is None or tables & deferred.tables:
        deferred.flush(connection)


def install(engine: Engine) -> None:
    event.listen(engine, "before_execute", _before_execute)
