"""The service operations of a step: tried while its scripts run, done once they have all run.

No diagram script, condition or decision may run while a lock that other cases' steps need is
held: SQLite's single write lock, or on PostgreSQL a row such as the plate counter. A service task
needs its operation's result to go on, and operations read and write records; so each is tried and
rolled back, after the calls before it in the step, done again in order so that it finds what they
would have written. On SQLite the try is a short write transaction of its own (the step is being
computed ahead of the lock); on PostgreSQL a savepoint of the step's transaction, whose rollback
releases the rows it locked. The step goes on with the result.

When the scripts have run, only the operations are done again (under SQLite's lock; on PostgreSQL
just before the step is written), with the same parameters in the same order. When each gives the
result the step went on with, the step stands and their writes join its event; when one gives
another (a plate number taken meanwhile by another case's step) or fails, nothing is written and
the step is computed again. Rows an operation inserts get the ids they had when it was tried (a
PostgreSQL sequence does not roll back), so that ids in a result compare equal.

A start opens its case with the step: the case row is inserted first (its id seeds the step), so
it is tried like an operation (`insert`), redone before the calls after it in every try, and done
again first with the id it was tried with. On SQLite that id (the highest plus one) may be taken by
another writer meanwhile: the row done again then fails to insert and the step is computed again.
Several starts of one unit of work share one `CallsAhead`, so each is tried after the others.

The results are recorded as a live step records them (`LiveEffects`), so the event is the same.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..db import Database
from ..errors import XianfengError
from ..journal.capture import journal_of
from ..process.calendar import WorkingCalendar
from ..process.effects import canonical_copy
from ..process.operations.context import Chance
from ..process.service_tasks import SERVICE_TASKS, Many, ServiceContext, run_operation
from . import shared_reads

_IDS = "xianfeng.service_call_ids"

# How many times a step computed ahead is computed again when what it read moved before it was
# written; then the asker is told to try again (StepContended), with nothing written.
AHEAD_ATTEMPTS = 5


ContextOn = Callable[[Session], ServiceContext]
Row = Callable[[], Any]  # makes a new ORM object to insert, the same each time


@dataclass(frozen=True)
class ServiceCall:
    """One operation a step called: its parameters as given, its result as recorded, the ids
    (table, id) of the rows it inserted, in order, and the step it was called for (`context`).
    A row a step inserts itself (a start's case) is a call too: `row` makes it, `result` is its id."""

    op: str
    params: dict[str, Any]
    result: Any
    ids: tuple[tuple[str, int], ...]
    context: ContextOn | None = None
    row: Row | None = None
    drawn: tuple[str, ...] = ()  # the random values it drew (`Chance`), drawn again when done again


class ServiceCallsMoved(XianfengError):
    """A call done again no longer gave the result the step went on with: compute it again."""

    code = "service_calls_moved"


class CallsAhead:
    """The service calls of one step (or of the starts of one unit of work), tried while it is
    computed.

    `session` is the step's own: on SQLite it holds no transaction yet (each try takes one of its
    own), on PostgreSQL it is the step's transaction (each try is a savepoint of it)."""

    def __init__(self, db: Database, session: Session) -> None:
        self._db = db
        self._session = session
        self.calls: list[ServiceCall] = []
        self.moved = False  # set however the error then surfaced from the engine
        # The working calendar the steps counted with, and how to read it again: an administrator's
        # holiday recorded before the steps are written means they must be counted again.
        self._calendar: tuple[WorkingCalendar, Callable[[Session], WorkingCalendar]] | None = None

    def read_calendar(self, session: Session, load: Callable[[Session], WorkingCalendar]) -> WorkingCalendar:
        """The working calendar for a step computed ahead, remembered to be read again before it
        is written (`calendar_unmoved`)."""
        calendar = load(session)
        if self._calendar is None:
            self._calendar = (calendar, load)
        return calendar

    def calendar_unmoved(self, session: Session) -> bool:
        """Whether the calendar the steps counted with (if any) is still the one recorded."""
        if self._calendar is None:
            return True
        calendar, load = self._calendar
        return shared_reads.once(session, "calendar", lambda: load(session)).overrides == calendar.overrides

    def call(self, context: ContextOn, op: str, params: dict[str, Any]) -> Any:
        """Try the operation after the calls before it, roll it all back, and answer its result."""
        kept = copy.deepcopy(params)  # a script after the task may change what the task passed
        chance = Chance()
        with self._tried(op) as session, _inserted(session) as ids:
            result = run_operation(replace(context(session), chance=chance), op, params)
            session.flush()
            taken = ids.taken()
        called = ServiceCall(
            op, kept, canonical_copy(result), taken, context=context, drawn=tuple(chance.drawn)
        )
        self.calls.append(called)
        return result

    def insert(self, row: Row) -> int:
        """Try inserting the row `row` makes after the calls before it, roll it back, and answer
        the id it got: the id the row done again is given. A row that cannot be inserted now (a
        unique key taken meanwhile) has moved: the caller reads again and computes again."""
        with self._tried("the row") as session:
            try:
                with _inserted(session) as ids:
                    session.add(row())
                    session.flush()
                    taken = ids.taken()
            except SQLAlchemyError as exc:
                self.moved = True
                raise ServiceCallsMoved("the row cannot be inserted as it was read") from exc
        table, row_id = taken[0]
        self.calls.append(ServiceCall(f"insert {table}", {}, row_id, taken, row=row))
        return row_id

    def done_again(
        self, session: Session, first: int = 0, end: int | None = None, keep: tuple[object, ...] = ()
    ) -> bool:
        """Do every call again through the step's session, in order: whether each gave the result
        the step went on with (if not, the session must be rolled back). Starts written in turn
        do theirs in turn: the calls from `first` to `end`, those before them done already.

        What the session read while the step was computed may have moved, so it is read again,
        except `keep`: the case's own row, checked unmoved by the caller (reading it again would
        fetch its whole snapshot for every case of a tick batch)."""
        calls = self.calls[first:end]
        if not calls:
            return True
        for loaded in list(session.identity_map.values()):
            if not any(loaded is kept for kept in keep):
                session.expire(loaded)
        return self._redo(session, calls)

    def _redo(self, session: Session, calls: list[ServiceCall] | None = None) -> bool:
        for call in self.calls if calls is None else calls:
            try:
                with _inserted(session, call.ids) as ids:
                    result = _again(session, call)
                    session.flush()
            except (XianfengError, SQLAlchemyError):
                return False
            if not ids.all_used() or canonical_copy(result) != call.result:
                return False
        return True

    @contextmanager
    def _tried(self, what: str) -> Iterator[Session]:
        """A session holding the writes of the calls before, done again, to try `what` in; every
        write in it is rolled back on leaving."""
        with self._trying() as session:
            if not self._redo(session):
                self.moved = True
                raise ServiceCallsMoved(f"the service calls before {what} gave other results meanwhile")
            yield session

    @contextmanager
    def _trying(self) -> Iterator[Session]:
        if self._db.is_sqlite:
            with self._db.unit_of_work() as scratch:  # never committed: rolled back on leaving
                yield scratch.session
            return
        session = self._session
        journal = journal_of(session)
        pending = list(journal.pending)
        savepoint = session.begin_nested()
        try:
            yield session
        finally:
            if savepoint.is_active:
                savepoint.rollback()
            journal.pending[:] = pending  # what the rolled-back writes recorded goes with them


def _again(session: Session, call: ServiceCall) -> Any:
    """Do one call again: insert its row, or run its operation with the parameters it was given."""
    if call.row is not None:
        row = call.row()
        session.add(row)
        session.flush()
        identity = inspect(row).identity
        assert identity is not None  # flushed
        return identity[0]
    assert call.context is not None
    context = replace(call.context(session), chance=Chance(call.drawn))
    if _many(call) is not None:  # done again with its batch's, if it has one
        key = _read_key(context.instance_id, call)
        return shared_reads.once(
            session, key, lambda: run_operation(context, call.op, copy.deepcopy(call.params))
        )
    return run_operation(context, call.op, copy.deepcopy(call.params))


def read_together(session: Session, asked: list[tuple[int, ServiceCall]]) -> None:
    """Within a tick batch's `shared_reads` block: do again at once the calls of its cases (case id,
    call) to each read-only operation that can be run for many cases in one statement (`many`),
    so that each case's call done again (`_again`) finds its result instead of a statement of its
    own. A batch of 40 evaluation deadlines reads its 40 tallies in one statement. A call that
    fails together is left to fail alone."""
    by_op: dict[str, list[tuple[int, ServiceCall]]] = {}
    for instance_id, call in asked:
        if _many(call) is not None:
            by_op.setdefault(call.op, []).append((instance_id, call))
    for calls in by_op.values():
        many = _many(calls[0][1])
        assert many is not None
        params = [(instance_id, copy.deepcopy(call.params)) for instance_id, call in calls]
        try:  # parameters it refuses are refused before it reads: each call then fails alone
            results = many(session, params)
        except (XianfengError, KeyError, TypeError):
            continue
        for (instance_id, call), result in zip(calls, results, strict=True):
            shared_reads.keep(session, _read_key(instance_id, call), result)


def _many(call: ServiceCall) -> Many | None:
    """The call's operation's form for many cases, if it has one (a row a step inserts has none)."""
    operation = SERVICE_TASKS.get(call.op) if call.row is None else None
    return operation.many if operation is not None else None


def _read_key(instance_id: int, call: ServiceCall) -> tuple[str, int, str, str]:
    return ("call", instance_id, call.op, json.dumps(call.params, sort_keys=True))


@dataclass
class _Ids:
    """The ids given to rows inserted through the ORM: taken as the database gives them, or the
    ones given before (`pinned`), in the same order."""

    pinned: list[tuple[str, int]] | None
    objects: list[tuple[str, Any, str]] = field(default_factory=list)

    def taken(self) -> tuple[tuple[str, int], ...]:
        return tuple((table, getattr(obj, key)) for table, obj, key in self.objects)

    def all_used(self) -> bool:
        return not self.pinned


@contextmanager
def _inserted(session: Session, pinned: tuple[tuple[str, int], ...] | None = None) -> Iterator[_Ids]:
    ids = _Ids(list(pinned) if pinned is not None else None)
    session.info[_IDS] = ids
    try:
        yield ids
    finally:
        session.info.pop(_IDS, None)


@event.listens_for(Session, "before_flush")
def _give_ids(session: Session, _context: Any, _instances: Any) -> None:
    ids: _Ids | None = session.info.get(_IDS)
    if ids is None:
        return
    for state in sorted((inspect(obj) for obj in session.new), key=lambda s: s.insert_order):
        mapper = state.mapper
        if len(mapper.primary_key) != 1:
            continue
        key = mapper.get_property_by_column(mapper.primary_key[0]).key
        if state.dict.get(key) is not None:
            continue  # given by the operation itself
        table = str(getattr(mapper.local_table, "name", ""))
        if ids.pinned is not None:
            if not ids.pinned or ids.pinned[0][0] != table:
                raise ServiceCallsMoved(f"the operation now inserts into {table} where it did not")
            setattr(state.obj(), key, ids.pinned.pop(0)[1])
        ids.objects.append((table, state.obj(), key))
