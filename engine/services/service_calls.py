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

The results are recorded as a live step records them (`LiveEffects`), so the event is the same.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..db import Database
from ..errors import XianfengError
from ..journal.capture import journal_of
from ..process.effects import canonical_copy
from ..process.service_tasks import ServiceContext, run_operation

_IDS = "xianfeng.service_call_ids"


@dataclass(frozen=True)
class ServiceCall:
    """One operation a step called: its parameters as given, its result as recorded, and the ids
    (table, id) of the rows it inserted, in order."""

    op: str
    params: dict[str, Any]
    result: Any
    ids: tuple[tuple[str, int], ...]


class ServiceCallsMoved(XianfengError):
    """A call done again no longer gave the result the step went on with: compute it again."""

    code = "service_calls_moved"


ContextOn = Callable[[Session], ServiceContext]


class CallsAhead:
    """The service calls of one step, tried while it is computed.

    `session` is the step's own: on SQLite it holds no transaction yet (each try takes one of its
    own), on PostgreSQL it is the step's transaction (each try is a savepoint of it)."""

    def __init__(self, db: Database, session: Session) -> None:
        self._db = db
        self._session = session
        self._context: ContextOn | None = None
        self.calls: list[ServiceCall] = []
        self.moved = False  # set however the error then surfaced from the engine

    def call(self, context: ContextOn, op: str, params: dict[str, Any]) -> Any:
        """Try the operation after the calls before it, roll it all back, and answer its result."""
        self._context = context
        kept = copy.deepcopy(params)  # a script after the task may change what the task passed
        with self._tried() as session:
            ctx = context(session)
            if not self._redo(ctx):
                self.moved = True
                raise ServiceCallsMoved(f"the service calls before {op} gave other results meanwhile")
            with _inserted(session) as ids:
                result = run_operation(ctx, op, params)
                session.flush()
                taken = ids.taken()
        self.calls.append(ServiceCall(op, kept, canonical_copy(result), taken))
        return result

    def done_again(self, session: Session) -> bool:
        """Do every call again through the step's session, in order: whether each gave the result
        the step went on with (if not, the session must be rolled back)."""
        if not self.calls:
            return True
        assert self._context is not None
        session.expire_all()  # what the session read while the step was computed may have moved
        return self._redo(self._context(session))

    def _redo(self, ctx: ServiceContext) -> bool:
        for call in self.calls:
            try:
                with _inserted(ctx.session, call.ids) as ids:
                    result = run_operation(ctx, call.op, copy.deepcopy(call.params))
                    ctx.session.flush()
            except (XianfengError, SQLAlchemyError):
                return False
            if not ids.all_used() or canonical_copy(result) != call.result:
                return False
        return True

    @contextmanager
    def _tried(self) -> Iterator[Session]:
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
