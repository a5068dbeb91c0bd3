"""Starts computed ahead of the write lock, then written: no start's script, condition or decision
runs while a lock other cases need is held (issue 12), as for completions (`tasks.complete`).

A start opens its case, and the case's id seeds the step (task ids), so the case row is tried
first like a service operation (`CallsAhead.insert`): inserted and rolled back, its id kept. The
step is computed with that id, its operations tried after the row. Then, under SQLite's write turn
(on PostgreSQL, in the same transaction, which has locked nothing other cases need), the row is
inserted again with that id and the operations done again; if the id was taken meanwhile (SQLite
hands out the highest id plus one; a PostgreSQL sequence never hands out an id twice), the business
key was taken by a concurrent start, or an operation now gives another result (the nominee's
standing), nothing is written and the start is read and computed again, a bounded number of times.

Several starts in one unit of work ("start for all") are all computed before any is written, each
tried after the rows and operations of those before it (not after their events and inbox rows,
which are written only under the lock); then each is done again and written in turn, so every
event records exactly its own start's rows, as when the starts ran one after the other.

A start's rows include the whole numbers of its data (`start_numbers`), written just before its
event, so that a later start finds the running cases naming the same member through an index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..actor import Actor
from ..db import UnitOfWork
from ..errors import XianfengError
from ..kernel import Kernel
from ..models import ProcessInstance
from ..process.catalog import LoadedVersion
from ..process.runtime import StepInput, StepResult
from . import start_numbers
from .case_ahead import CaseMoved
from .outcomes import outcome_of
from .results import StepOutcome
from .service_calls import CallsAhead
from .steps import EventMeta, compute, persist, step_input_for


def new_instance(
    version: LoadedVersion,
    actor: Actor,
    branch_id: int | None,
    village_id: int | None,
    business_key: str,
    now: dt.datetime,
) -> ProcessInstance:
    """The row of a case as its start opens it (the same row each time it is made)."""
    return ProcessInstance(
        process_key=version.process_key,
        process_version_id=version.id,
        status="running",
        state_json="",
        version=0,
        branch_id=branch_id,
        village_id=village_id,
        started_by=actor.user_id,
        started_at=now,
        updated_at=now,
        # Until its diagram names the case (`instance_title`), it is called by its procedure's
        # Chinese name: diagrams name processes "中文 English", and a case's title is one language.
        title=(version.name or "").split(" ", 1)[0] or version.process_key,
        business_key=business_key,
    )


def start_meta(version: LoadedVersion, actor: Actor, data: dict[str, Any]) -> EventMeta:
    """What a start's event says: replay starts the case again from it."""
    return EventMeta(
        kind="start",
        actor=actor,
        role=version.start_role or "",
        payload={"process_key": version.process_key, "version": version.version, "data": data},
    )


@dataclass(frozen=True)
class _Prepared:
    """A start computed but not yet written; `calls` are its row and operations in the ahead."""

    instance_id: int
    version: LoadedVersion
    step: StepInput
    result: StepResult
    meta: EventMeta
    calls: tuple[int, int]


class StartsAhead:
    """The starts of one unit of work: read and computed first (`add`), then written (`write`)."""

    def __init__(self, kernel: Kernel, uow: UnitOfWork, begin_write: Callable[[], None]) -> None:
        self.kernel = kernel
        self.session: Session = uow.session
        self._uow = uow
        self._begin_write = begin_write
        self._ahead = CallsAhead(kernel.db, uow.session)
        self._prepared: list[_Prepared] = []

    def add(
        self,
        version: LoadedVersion,
        actor: Actor,
        data: dict[str, Any],
        branch_id: int | None,
        village_id: int | None,
        business_key: str,
    ) -> None:
        """Compute one start, its case row and service operations tried and rolled back."""
        now = self.kernel.clock.now()

        def row() -> ProcessInstance:
            return new_instance(version, actor, branch_id, village_id, business_key, now)

        first = len(self._ahead.calls)
        instance = row()  # never added: what the step is computed from
        try:
            instance.id = self._ahead.insert(row)
            step = step_input_for(instance, "start", now, data=data)
            result = compute(self.session, self.kernel, instance, version, step, ahead=self._ahead)
        except XianfengError:
            if self._ahead.moved:  # however the engine surfaced it: not a refusal
                raise CaseMoved from None
            raise
        calls = (first, len(self._ahead.calls))
        meta = start_meta(version, actor, data)
        self._prepared.append(_Prepared(instance.id, version, step, result, meta, calls))

    def write(self) -> list[StepOutcome]:
        """Take the write lock, do each start's row and operations again and write it; commit."""
        self._begin_write()
        outcomes = []
        for prepared in self._prepared:
            if not self._ahead.done_again(self.session, *prepared.calls):
                raise CaseMoved
            instance = self.session.get(ProcessInstance, prepared.instance_id)
            assert instance is not None  # inserted just now by the calls done again
            start_numbers.record(self.session, instance.id, prepared.step.data)
            version, step, result = prepared.version, prepared.step, prepared.result
            seq = persist(self.session, self.kernel, instance, version, step, result, prepared.meta)
            outcomes.append(outcome_of(instance, result, seq, 0, version))
        self._uow.commit()
        return outcomes


@contextmanager
def starts_ahead(kernel: Kernel) -> Iterator[StartsAhead]:
    """A unit of work for starts: on SQLite it reads first and takes the write turn only to write;
    on PostgreSQL one transaction, whose reads lock nothing and whose tries are savepoints."""
    db = kernel.db
    if db.is_sqlite:
        with db.unit_of_work_reading_first() as reading:
            yield StartsAhead(kernel, reading, reading.begin_write)
        return
    with db.unit_of_work() as uow:
        yield StartsAhead(kernel, uow, lambda: None)
