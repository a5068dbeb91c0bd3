"""Catching every write to a chained table, so that the event appended next records it.

Writes reach the database three ways, and each is caught:
- through the ORM's unit of work (`session.add`, changed attributes, `session.delete`): a flush
  listener writes down the image of each new, changed or deleted object;
- through Core statements on the session's connection (the hot path of a step): they go through
  `insert_rows`, `update_key`, `update_keys`, `update_where`, `update_returning` and
  `delete_keys` here, which execute and record (within a tick batch some wait: `deferral`);
- anything else (an ORM bulk statement, a bare Core statement on a chained table) is refused
  before it runs with `UnchainedWrite`, a programming error: nothing may change a record people
  rely on without the log saying so.

The changes wait in the session's `Journal` until `history.append` takes them into the event it
appends. A commit with changes still waiting is refused: they would be on no event.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ClauseElement, Engine, any_, bindparam, delete, event, insert, inspect, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import ORMExecuteState, Session, attributes, sessionmaker
from sqlalchemy.sql.dml import UpdateBase

from ..errors import XianfengError
from ..models import Base
from . import deferral
from .tables import CHAINED, encode_key, full_row, image, key_column, table_of

CHAINED_OPTION = "xianfeng_chained"
_INFO_KEY = "xianfeng.journal"


class UnchainedWrite(XianfengError):
    """A chained table was written in a way the log cannot see (a bug, never a user's doing)."""

    code = "unchained_write"


@dataclass
class Journal:
    """The row changes of one transaction that no event has recorded yet."""

    pending: list[dict[str, Any]] = field(default_factory=list)

    def add(self, table: str, op: str, key: Any, values: dict[str, Any] | None = None) -> None:
        entry: dict[str, Any] = {"table": table, "op": op, "key": key}
        if values is not None:
            entry["values"] = values
        self.pending.append(entry)

    def drain(self) -> list[dict[str, Any]]:
        taken, self.pending = self.pending, []
        return taken


def journal_of(session: Session) -> Journal:
    journal = session.info.get(_INFO_KEY)
    if journal is None:
        journal = session.info[_INFO_KEY] = Journal()
    return journal


def take_changes(session: Session) -> list[dict[str, Any]]:
    """Flush, then hand over every change since the last event (for the event being appended)."""
    session.flush()
    return journal_of(session).drain()


# Core writes ---------------------------------------------------------------------------------


def _chained(statement: UpdateBase) -> Any:
    return statement.execution_options(**{CHAINED_OPTION: True})


@functools.cache
def _insert_of(name: str) -> Any:
    """One insert statement per table, built once: a step runs these on every completion, and
    building and coercing a statement anew costs more than running it."""
    return _chained(insert(table_of(name)))


@functools.cache
def _delete_of(name: str) -> Any:
    """By one key, run for each (an `IN` of expanding keys is compiled again on every run)."""
    table = table_of(name)
    return _chained(delete(table).where(key_column(table) == bindparam("b_key")))


@functools.cache
def _delete_any(name: str) -> Any:
    table = table_of(name)
    column = key_column(table)
    return _chained(delete(table).where(column == any_(bindparam("b_keys", type_=ARRAY(column.type)))))


@functools.cache
def _update_any(name: str, columns: tuple[str, ...]) -> Any:
    table = table_of(name)
    column = key_column(table)
    values: dict[str, Any] = {c: bindparam(c) for c in columns}
    where = column == any_(bindparam("b_keys", type_=ARRAY(column.type)))
    return _chained(update(table).where(where).values(values))


def _deleted_together(name: str) -> deferral.Together:
    return lambda params: [(_delete_any(name), {"b_keys": [p["b_key"] for p in params]})]


def _updated_together(name: str, columns: tuple[str, ...]) -> deferral.Together:
    def together(params: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
        by_values: dict[tuple[Any, ...], list[Any]] = {}
        for p in params:
            by_values.setdefault(tuple(p[c] for c in columns), []).append(p["b_key"])
        return [
            (_update_any(name, columns), {"b_keys": keys, **dict(zip(columns, values, strict=True))})
            for values, keys in by_values.items()
        ]

    return together


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows whose primary keys are given, and record their images."""
    if not rows:
        return
    table = table_of(model.__tablename__)
    spec = CHAINED[table.name]
    key = key_column(table).name
    keys = tuple(row[key] for row in rows)
    deferral.run(session.connection(), _insert_of(table.name), list(rows), table.name, keys)
    journal = journal_of(session)
    for row in rows:
        logged = image(spec, table, full_row(table, row))
        journal.add(table.name, "insert", encode_key(spec, table, row[key]), logged)


def update_key(session: Session, model: type[Base], key: Any, values: dict[str, Any], **where: Any) -> int:
    """Update one row by its primary key (and any extra `where` equalities); record what was set.

    Returns the number of rows updated (0 when the extra conditions did not hold: nothing recorded).
    """
    table = table_of(model.__tablename__)
    spec = CHAINED[table.name]
    column = key_column(table)
    statement = update(table).where(column == key, *(table.c[k] == v for k, v in where.items()))
    count = session.connection().execute(_chained(statement.values(values))).rowcount
    if count:
        logged = image(spec, table, values)
        journal_of(session).add(table.name, "update", encode_key(spec, table, key), logged)
    return int(count)


@functools.cache
def _update_by_key(name: str, columns: tuple[str, ...]) -> Any:
    table = table_of(name)
    values: dict[str, Any] = {column: bindparam(column) for column in columns}
    return _chained(update(table).where(key_column(table) == bindparam("b_key")).values(values))


def update_keys(session: Session, model: type[Base], keys: Sequence[Any], values: dict[str, Any]) -> None:
    """Set `values` on rows the caller knows to exist as they are meant (by primary key), and
    record each; within `deferral.deferring` the statement may wait."""
    if not keys:
        return
    table = table_of(model.__tablename__)
    statement = _update_by_key(table.name, tuple(sorted(values)))
    params = [{"b_key": key, **values} for key in keys]
    together = _updated_together(table.name, tuple(sorted(values)))
    deferral.run(session.connection(), statement, params, table.name, tuple(keys), together)
    _record_updates(session, model, keys, values)


def update_where(
    session: Session, model: type[Base], where: Iterable[Any], values: dict[str, Any]
) -> list[Any]:
    """Update the rows matching `where`; record each by its key. Returns the keys updated."""
    table = table_of(model.__tablename__)
    statement = update(table).where(*where).values(values).returning(key_column(table))
    return update_returning(session, model, _chained(statement), {}, values)


def update_returning(
    session: Session, model: type[Base], statement: UpdateBase, params: dict[str, Any], values: dict[str, Any]
) -> list[Any]:
    """Run an UPDATE … RETURNING the key that sets `values` (bound from `params`), built once by
    the caller with `CHAINED_OPTION` (marking it anew on each run would make a new statement, to be
    looked up again); record each row by its key. Returns the keys updated."""
    keys = list(session.connection().execute(statement, params).scalars())
    _record_updates(session, model, keys, values)
    return keys


def _record_updates(session: Session, model: type[Base], keys: Sequence[Any], values: dict[str, Any]) -> None:
    """Record that `values` were set on each of the rows `keys` name."""
    table = table_of(model.__tablename__)
    spec = CHAINED[table.name]
    journal = journal_of(session)
    logged = image(spec, table, values)
    for key in keys:
        journal.add(table.name, "update", encode_key(spec, table, key), logged)


def delete_keys(session: Session, model: type[Base], keys: Sequence[Any]) -> None:
    """Delete rows by primary key and record each deletion."""
    if not keys:
        return
    table = table_of(model.__tablename__)
    spec = CHAINED[table.name]
    params = [{"b_key": key} for key in keys]
    together = _deleted_together(table.name)
    deferral.run(session.connection(), _delete_of(table.name), params, table.name, tuple(keys), together)
    journal = journal_of(session)
    for key in keys:
        journal.add(table.name, "delete", encode_key(spec, table, key))


# ORM writes ----------------------------------------------------------------------------------


def _after_flush(session: Session, _context: Any) -> None:
    journal = journal_of(session)
    for obj in session.new:
        _record_object(journal, obj, "insert")
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            _record_object(journal, obj, "update")
    for obj in session.deleted:
        _record_object(journal, obj, "delete")


def _record_object(journal: Journal, obj: Any, op: str) -> None:
    table = getattr(obj, "__table__", None)
    spec = CHAINED.get(table.name) if table is not None else None
    if spec is None or table is None:
        return
    state = inspect(obj)
    mapper = state.mapper
    key_name = key_column(table).name
    key = encode_key(spec, table, state.dict.get(mapper.get_property_by_column(table.c[key_name]).key))
    if op == "delete":
        journal.add(table.name, op, key)
        return
    values = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if op == "update" and not attributes.get_history(obj, prop.key).has_changes():
            continue
        values[column.name] = state.dict.get(prop.key)
    logged = image(spec, table, full_row(table, values) if op == "insert" else values)
    if op == "insert" or logged:
        journal.add(table.name, op, key, logged)


def _before_commit(session: Session) -> None:
    session.flush()
    journal = session.info.get(_INFO_KEY)
    if journal is not None and journal.pending:
        waiting = ", ".join(f"{c['table']} {c['op']} {c['key']}" for c in journal.pending[:5])
        journal.pending.clear()
        raise UnchainedWrite(f"rows changed without an event to record them: {waiting}")


def _after_rollback(session: Session) -> None:
    journal = session.info.get(_INFO_KEY)
    if journal is not None:
        journal.pending.clear()


# Refusing writes the journal cannot see ------------------------------------------------------


def _dml_table(statement: Any) -> str | None:
    if isinstance(statement, UpdateBase):
        table = getattr(statement, "table", None)
        name = getattr(table, "name", None)
        return name if name in CHAINED else None
    return None


def _refuse_orm_bulk(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    name = _dml_table(state.statement)
    if name is not None and not state.execution_options.get(CHAINED_OPTION):
        raise UnchainedWrite(f"a bulk statement on {name} would bypass the log: use engine.journal.capture")


def _refuse_bare_core(
    _conn: Any, clause: ClauseElement, _multi: Any, _params: Any, options: dict[str, Any]
) -> None:
    name = _dml_table(clause)
    if name is None or options.get(CHAINED_OPTION) or "compiled_cache" in options:
        return  # the ORM's flush (seen by the flush listener) runs with the mapper's compiled cache
    raise UnchainedWrite(f"a statement on {name} would bypass the log: use engine.journal.capture")


def install(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """Watch every session this factory makes and every statement this engine runs."""
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "before_commit", _before_commit)
    event.listen(sessions, "after_rollback", _after_rollback)
    event.listen(sessions, "do_orm_execute", _refuse_orm_bulk)
    event.listen(engine, "before_execute", _refuse_bare_core)
    deferral.install(engine)
