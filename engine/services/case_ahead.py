"""The steps of one case computed ahead of the write lock, then written (no script under the lock).

No diagram script, condition or decision may run while a lock that other cases' steps need is held:
SQLite's single write lock, or on PostgreSQL a shard head of the chain, which a step takes when it
appends its event and keeps until the commit. A case often takes several steps in one unit of work:
a timer's tick after the messages that waited for the case, a completion and the messages it made
the case ready for. Computed and written one after the other, the second step's scripts would run
while the first step's writes hold the lock.

So every step of the unit is computed first (`step`, `deliver`), each from the state the one before
left, on a draft of the case row that is never written; their service operations are tried and
rolled back (`service_calls`). Then `write` takes what was computed to the database: on SQLite
under the write lock, after checking that the case has not moved since it was read; on PostgreSQL
the case row was locked when it was read. Each step's operations are done again just before it is
written, so that their writes join its event as they would have; an operation that now gives
another result, or a case that moved, raises `CaseMoved` and the caller computes it all again
(`again_while_moved`). The events are those the steps would have written one by one.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..db import UnitOfWork
from ..errors import StepContended, XianfengError
from ..kernel import Kernel
from ..models import PendingMessage, ProcessInstance, TimerRow
from ..models.org import ROLE_PUBLIC
from ..process.catalog import LoadedVersion
from ..process.effects import EffectPort
from ..process.runtime import StepInput, StepResult
from .service_calls import AHEAD_ATTEMPTS, CallsAhead, ServiceCall
from .steps import EventMeta, compute, persist, step_input_for

T = TypeVar("T")

# What the write transaction re-reads of a case computed ahead: every change to a case moves
# `version` (steps and verbs alike), except a message filed for it (an objection), which moves
# `pending_messages`.
_UNMOVED = select(ProcessInstance.version, ProcessInstance.pending_messages, ProcessInstance.status).where(
    ProcessInstance.id == bindparam("id")
)


class CaseMoved(Exception):
    """What the steps computed ahead read moved before they were written: compute them again."""


@dataclass(frozen=True)
class _Planned:
    version: LoadedVersion
    step: StepInput
    result: StepResult
    meta: EventMeta
    calls: tuple[int, int]  # its service calls, in the case's CallsAhead
    message_id: int | None  # the waiting message the step delivers


@dataclass(frozen=True)
class _Message:
    id: int
    name: str
    payload: Any
    created_at: dt.datetime


@dataclass
class CaseAhead:
    """One case's steps of a unit of work: computed (`step`, `deliver`), then written (`write`)."""

    kernel: Kernel
    session: Session
    instance: ProcessInstance  # the row as read: written only by `write`
    version: LoadedVersion
    planned: list[_Planned] = field(default_factory=list)
    _draft: ProcessInstance = field(init=False)  # the case as the steps planned so far leave it
    _seen: tuple[int, int, str] = field(init=False)
    _ahead: CallsAhead = field(init=False)
    _waiting: list[_Message] | None = field(default=None, init=False)
    _packed: list[bytes] | None = field(default=None, init=False)  # the planned snapshots, kept

    def __post_init__(self) -> None:
        row = self.instance
        self._seen = (row.version, row.pending_messages, row.status)
        self._ahead = CallsAhead(self.kernel.db, self.session)
        self._draft = ProcessInstance(  # never added to the session
            id=row.id,
            branch_id=row.branch_id,
            village_id=row.village_id,
            state_json=row.state_json,
            version=row.version,
            state_version=row.state_version,
            pending_messages=row.pending_messages,
            status=row.status,
            title=row.title,
        )

    @property
    def status(self) -> str:
        """The case's status once the steps planned so far are written."""
        return self._draft.status

    def input(self, kind: str, at: dt.datetime, **kwargs: Any) -> StepInput:
        """The input of the case's next step, after those planned."""
        return step_input_for(self._draft, kind, at, **kwargs)

    def step(
        self,
        step: StepInput,
        meta: EventMeta,
        *,
        effects: EffectPort | None = None,
        version: LoadedVersion | None = None,
        migrate_from: LoadedVersion | None = None,
    ) -> StepResult:
        """Compute the step from the state the planned ones leave, and plan it."""
        first = len(self._ahead.calls)
        result = self._compute(step, effects, version or self.version, migrate_from)
        self._plan(
            _Planned(version or self.version, step, result, meta, (first, len(self._ahead.calls)), None)
        )
        return result

    def deliver(self, at: dt.datetime) -> int:
        """Plan the delivery of the waiting messages the case listens for, each its own step, as
        `steps.deliver_pending` does under the lock; how many it delivers."""
        delivered = 0
        while self._draft.pending_messages > 0 and self._draft.status == "running":
            if not self._deliver_first(at):
                break
            delivered += 1
        return delivered

    def earliest_pending(self) -> dt.datetime | None:
        """When the oldest message still waiting arrived (`steps.earliest_pending`)."""
        waiting = self._messages()
        return waiting[0].created_at if waiting else None

    def timer_due(self, now: dt.datetime) -> bool:
        """Whether a timer of the case, as the planned steps leave it, is due before `now`."""
        if self.planned:
            return any(timer.due_at < now for timer in self.planned[-1].result.timers)
        due = select(TimerRow.id).where(TimerRow.instance_id == self.instance.id, TimerRow.due_at < now)
        return self.session.execute(due.limit(1)).first() is not None

    def pack(self) -> None:
        """Keep the planned steps for a later unit of work in a fifth of the memory: their
        snapshots compressed until `rebase` (a ticker keeps thousands ahead of a deadline)."""
        self._packed = [zlib.compress(p.result.snapshot.encode(), 1) for p in self.planned]
        self.planned = [replace(p, result=replace(p.result, snapshot="")) for p in self.planned]
        self._draft.state_json = ""

    def rebase(self, session: Session, instance: ProcessInstance) -> None:
        """Take steps computed in an earlier unit of work (a deadline's tick computed before it fell
        due, `fires_ahead`) to be written in `session`: `instance`, the case as this unit of work
        read it (locked on PostgreSQL), must be as they found it, or CaseMoved."""
        if (instance.version, instance.pending_messages, instance.status) != self._seen:
            raise CaseMoved
        self.session, self.instance = session, instance
        if self._packed is not None:
            snapshots = [zlib.decompress(packed).decode() for packed in self._packed]
            self.planned = [
                replace(p, result=replace(p.result, snapshot=snapshot))
                for p, snapshot in zip(self.planned, snapshots, strict=True)
            ]
            self._draft.state_json, self._packed = snapshots[-1], None

    def write(
        self,
        before: Callable[[ProcessInstance], None] | None = None,
        held: tuple[ProcessInstance, ...] = (),
        *,
        checked: bool = False,
    ) -> list[int]:
        """Write the planned steps in order, in the caller's write transaction; their event numbers.

        `before` writes what goes with the first step (a withdrawn case's notices coming down),
        after its operations are done again and before its event, as a step computed under the
        lock would have. `held` are the other case rows the unit of work holds (a tick batch's, each
        checked unmoved before its own steps are written): their operations need not read them
        again. `checked`: the caller has read the case row again under the write lock and found it
        as the steps found it (`unmoved`). Raises CaseMoved, having written what must be rolled
        back, when the case or an operation's result moved since they were computed."""
        session = self.session
        if self.kernel.db.is_sqlite and not checked:  # read outside the lock; PostgreSQL locked the row
            now = session.connection().execute(_UNMOVED, {"id": self.instance.id}).one()
            if tuple(now) != self._seen:
                raise CaseMoved
        if not self._ahead.calendar_unmoved(session):
            raise CaseMoved
        seqs = []
        for index, planned in enumerate(self.planned):
            if not self._ahead.done_again(session, *planned.calls, keep=(self.instance, *held)):
                raise CaseMoved
            if index == 0 and before is not None:
                before(self.instance)
            if planned.message_id is not None:
                self._mark_delivered(planned.message_id, planned.step.at)
            step, result = planned.step, planned.result
            seqs.append(
                persist(session, self.kernel, self.instance, planned.version, step, result, planned.meta)
            )
        return seqs

    @property
    def calls(self) -> list[ServiceCall]:
        """The service calls of the planned steps, in order: done again before they are written."""
        return self._ahead.calls

    @property
    def seen(self) -> tuple[int, int, str]:
        """The case row's version, waiting messages and status as the steps found them."""
        return self._seen

    def _compute(
        self,
        step: StepInput,
        effects: EffectPort | None,
        version: LoadedVersion,
        migrate_from: LoadedVersion | None = None,
    ) -> StepResult:
        try:
            return compute(
                self.session,
                self.kernel,
                self._draft,
                version,
                step,
                effects,
                ahead=self._ahead,
                migrate_from=migrate_from,
            )
        except XianfengError:
            if self._ahead.moved:  # however the engine surfaced it: not a refusal
                raise CaseMoved from None
            raise

    def _plan(self, planned: _Planned) -> None:
        self.planned.append(planned)
        draft, result = self._draft, planned.result
        draft.state_json = result.snapshot
        draft.version += 1
        draft.state_version += 1
        draft.title = result.title or draft.title
        if planned.message_id is not None:
            draft.pending_messages -= 1
            self._waiting = [m for m in self._messages() if m.id != planned.message_id]
        if result.completed:
            draft.status = result.ended_as

    def _deliver_first(self, at: dt.datetime) -> bool:
        messages = self._messages()
        for index, message in enumerate(messages):
            later = [m.created_at for m in messages[index + 1 :]] + [m.created_at for m in messages[:index]]
            step = self.input(
                "message",
                at,
                data=dict(message.payload),
                message=message.name,
                timers_at=min(later) if later else None,
            )
            first = len(self._ahead.calls)
            result = self._compute(step, None, self.version)
            if not result.caught:
                del self._ahead.calls[first:]  # tried and rolled back: the step is not taken
                continue
            meta = EventMeta(
                kind="message",
                actor=None,
                role=ROLE_PUBLIC,
                payload={"name": message.name, "data": message.payload, "message_id": message.id},
            )
            self._plan(
                _Planned(self.version, step, result, meta, (first, len(self._ahead.calls)), message.id)
            )
            return True
        return False

    def _messages(self) -> list[_Message]:
        """The messages still waiting once the planned steps are written, oldest first."""
        if self._draft.pending_messages <= 0:
            return []
        if self._waiting is None:
            rows = self.session.execute(
                select(PendingMessage)
                .where(PendingMessage.instance_id == self.instance.id, PendingMessage.delivered_at.is_(None))
                .order_by(PendingMessage.id)
            ).scalars()
            self._waiting = [_Message(m.id, m.name, m.payload, m.created_at) for m in rows]
        return self._waiting

    def _mark_delivered(self, message_id: int, at: dt.datetime) -> None:
        message = self.session.get(PendingMessage, message_id)
        if message is None or message.delivered_at is not None:
            raise CaseMoved
        self.instance.pending_messages -= 1
        message.delivered_at = at


@contextmanager
def case_unit(kernel: Kernel) -> Iterator[tuple[UnitOfWork, Callable[[], None]]]:
    """A unit of work for steps computed ahead, and how to begin its writes: on SQLite it reads
    first and takes the write lock only to write; on PostgreSQL one transaction, whose rows read
    `FOR UPDATE` are the cases' own (no other case's step needs them) and whose tries are
    savepoints."""
    db = kernel.db
    if db.is_sqlite:
        with db.unit_of_work_reading_first() as reading:
            yield reading, reading.begin_write
        return
    with db.unit_of_work() as uow:
        yield uow, lambda: None


def again_while_moved(what: str, work: Callable[[], T], **details: Any) -> T:
    """Run `work` again while what it computed ahead moved before it was written, a bounded number
    of times; then the asker is told (`what` could not be done) to try again, nothing written."""
    for _attempt in range(AHEAD_ATTEMPTS):
        try:
            return work()
        except CaseMoved:
            continue
    raise StepContended(
        f"{what}: other steps kept changing what it read; try again", attempts=AHEAD_ATTEMPTS, **details
    )
