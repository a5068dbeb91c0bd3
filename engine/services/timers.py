"""Fire what is due: timers whose time has passed, and messages that could not be delivered before.

SpiffWorkflow fires a timer once its time is strictly in the past, so rows are selected with
`due_at < now`, and a tick step that changes nothing is not written to the log.

Instances are fired in batches, each instance's steps computed ahead of the write lock and written
in a savepoint of their own (`case_ahead`), so one failing instance does not hold back the others
and no script of any runs while a lock other cases need is held; its failure is reported, and its
state stays as it was. On PostgreSQL several workers can tick at once: each batch is claimed with
`FOR UPDATE SKIP LOCKED`, so workers take disjoint batches.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, exists, or_, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..errors import XianfengError
from ..journal import deferral
from ..journal.capture import Journal, journal_of
from ..kernel import Kernel
from ..models import PendingMessage, ProcessInstance, TimerRow
from ..process.history import heads_kept, shard_of
from . import citations, fires_ahead, limits, reminders, schedules, shared_reads
from .audit import anchors
from .case_ahead import CaseAhead, CaseMoved, again_while_moved, case_unit
from .service_calls import AHEAD_ATTEMPTS, read_together
from .steps import EventMeta, open_links_known

log = logging.getLogger("xianfeng.timers")
# Instances whose due steps share one transaction. Written together (`_write_fires`), 40 hold the
# write lock (a shard head on PostgreSQL) about as long as 20 did one by one, with half the commits.
BATCH = 40
WINDOW = 3  # a batch is claimed from the next WINDOW × BATCH due instances


@dataclass
class TickReport:
    now: dt.datetime
    fired: list[tuple[int, int]] = field(default_factory=list)  # (instance id, event seq)
    delivered: list[tuple[int, int]] = field(default_factory=list)  # (instance id, messages)
    failed: list[tuple[int, str]] = field(default_factory=list)
    reminded: int = 0
    escalated: int = 0
    started: list[tuple[str, int]] = field(
        default_factory=list
    )  # (process key, instance id) by the scheduler
    published: anchors.Anchor | None = None  # the chain head published this round, if it was due
    removed_files: list[str] = field(default_factory=list)  # uploads no form cited within a day


def due_instances(kernel: Kernel, now: dt.datetime) -> list[int]:
    with kernel.db.unit_of_work(write=False) as uow:
        timers = select(TimerRow.instance_id).where(TimerRow.due_at < now).distinct()
        messages = select(PendingMessage.instance_id).where(PendingMessage.delivered_at.is_(None)).distinct()
        ids = set(uow.session.execute(timers).scalars()) | set(uow.session.execute(messages).scalars())
        return sorted(ids)


def tick(kernel: Kernel, now: dt.datetime | None = None) -> TickReport:
    now = now or kernel.clock.now()
    report = TickReport(now=now)
    scheduled = schedules.run_due(kernel, now)
    reminded = reminders.run(kernel, now)
    report.reminded, report.escalated = reminded.reminded, reminded.escalated
    report.started = scheduled.started
    report.failed.extend((0, message) for _key, message in scheduled.failed)
    _fire_all(kernel, due_instances(kernel, now), now, report)
    report.published = anchors.publish_due(kernel, now)
    report.removed_files = citations.remove_uncited(kernel, now)
    limits.purge(kernel, now)
    return report


def _fire_all(kernel: Kernel, due: list[int], now: dt.datetime, report: TickReport) -> None:
    """Fire the due cases batch by batch; those that moved meanwhile are computed again, a bounded
    number of times, then reported as failed this tick (they stay due: the next tick tries them).

    A shard's group that another ticker is working on (PostgreSQL) waits at the back: this one's
    batches there would wait for that ticker's shard head, and then the two would take turns. When
    every group left is another's, they are left to it (what it does not fire, the next tick does)."""
    for _attempt in range(AHEAD_ATTEMPTS):
        moved: list[int] = []
        groups = deque(_shard_groups(kernel, due))
        passed = 0  # groups passed over since one was worked on
        while groups:
            left = _fire_group(kernel, groups.popleft(), now, report, moved)
            if not left:
                passed = 0
            elif passed < len(groups):  # tried again after the others
                passed += 1
                groups.append(left)
        if not moved:
            return
        due = moved
    for instance_id in due:
        report.failed.append((instance_id, "other steps kept changing the case; it is tried again next tick"))


def _shard_groups(kernel: Kernel, due: list[int]) -> list[list[int]]:
    """The due cases in the order they are fired. On PostgreSQL, grouped by their shard of the
    chain, from a shard chosen at random: a batch's events hold their shards' heads until it
    commits, so tickers working on different shards write side by side, where batches mixing every
    shard would wait for each other. SQLite has one writer: one group, in order."""
    if kernel.db.is_sqlite or not due:
        return [due]
    by_shard: dict[int, list[int]] = {}
    for instance_id in due:
        by_shard.setdefault(shard_of(instance_id), []).append(instance_id)
    shards = sorted(by_shard)
    start = random.randrange(len(shards))
    return [by_shard[shard] for shard in shards[start:] + shards[:start]]


def _fire_group(
    kernel: Kernel, group: list[int], now: dt.datetime, report: TickReport, moved: list[int]
) -> list[int]:
    """Fire a group's due cases batch by batch, adding those that moved meanwhile to `moved`;
    the part of the group left when another ticker is working on its shard."""
    position = 0
    while position < len(group):
        window = group[position : position + WINDOW * BATCH]
        try:
            advanced, moved_here = _tick_batch(kernel, window, now, report)
        except OperationalError as exc:
            if not _deadlock(exc):
                raise
            # PostgreSQL chose this batch to end a lock cycle with another transaction: it was
            # rolled back whole, and its instances are claimed again at the next tick.
            log.warning("a tick batch was rolled back to end a deadlock; it is tried again next tick")
            advanced, moved_here = len(window), []
        if advanced == 0:
            return group[position:]
        position += advanced
        moved.extend(moved_here)
    return []


def _deadlock(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "40P01"


def tick_one(kernel: Kernel, instance_id: int, now: dt.datetime, meta: EventMeta) -> TickReport:
    """Fire what is due for one instance now, as `meta` says (an administrator's retry of a step
    that failed); a failure is raised, not collected."""
    report = TickReport(now=now)
    again_while_moved(
        f"case {instance_id}'s due step could not be run",
        lambda: _fire_one(kernel, instance_id, now, report, meta),
        instance_id=instance_id,
    )
    return report


def _fire_one(
    kernel: Kernel,
    instance_id: int,
    now: dt.datetime,
    report: TickReport,
    meta: EventMeta | None = None,
    *,
    timers: bool = True,
) -> None:
    """Compute what is due for one case, then write it in a unit of work of its own."""
    with case_unit(kernel) as (uow, begin_write):
        instance = uow.session.execute(
            select(ProcessInstance)
            .where(ProcessInstance.id == instance_id, ProcessInstance.status == "running")
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if instance is None:
            return  # ended, suspended, or claimed by another worker's tick
        fire = _plan_fire(uow.session, kernel, instance, now, meta, timers=timers)
        if fire is None:
            return
        begin_write()
        fire.write(report)
        uow.commit()


def deliver_waiting(kernel: Kernel, instance_id: int, now: dt.datetime) -> int:
    """Deliver now the messages waiting for the case that it listens for (an objection just filed),
    computed ahead of the write lock; how many. When other steps keep moving the case, or a
    delivery fails, the messages stay waiting: the next tick delivers them."""
    report = TickReport(now=now)
    try:
        again_while_moved(
            f"the messages for case {instance_id} could not be delivered",
            lambda: _fire_one(kernel, instance_id, now, report, timers=False),
        )
    except XianfengError as exc:
        log.warning("messages for case %s wait for the next tick: %s", instance_id, exc.message)
    return sum(count for _instance, count in report.delivered)


def _tick_batch(
    kernel: Kernel, window: list[int], now: dt.datetime, report: TickReport
) -> tuple[int, list[int]]:
    """Fire what is due for several instances in one transaction: when many deadlines fall due
    together (every evaluation of a round at the same midnight), one commit per instance is what
    makes the last one late.

    The batch is claimed from the window of due instances in one statement: up to BATCH that are
    still running and due, locked on PostgreSQL, skipping those another worker holds — so workers
    ticking together take disjoint batches and none re-reads what another has fired. Every step of
    the batch is computed before any is written (`case_ahead`): on SQLite outside the write lock,
    on PostgreSQL before the first event takes a shard head of the chain. A case whose steps fail
    is reported and left as it was, tried again at the next tick; each is written in a savepoint,
    so one whose write fails is rolled back alone. Returns how far into the window this batch got
    (the next batch starts after its last instance; none when another ticker is working on the
    window's shard), and the cases that moved meanwhile (another step came first: computed again
    at once)."""
    moved: list[int] = []
    with case_unit(kernel) as (uow, begin_write):
        session = uow.session
        if not _working_on(session, window):
            return 0, []
        claimed = _claim(session, window, now)
        last = claimed[-1].id if claimed else None
        fires = []
        for instance in claimed:
            try:
                fire = _plan_fire(session, kernel, instance, now)
            except CaseMoved:
                moved.append(instance.id)
                continue
            except XianfengError as exc:
                _failed(report, instance.id, exc)
                continue
            if fire is not None:
                fires.append(fire)
        if fires:
            begin_write()
            moved.extend(_write_fires(session, fires, report))
            uow.commit()
    return (window.index(last) + 1 if last is not None else len(window)), moved


def _write_fires(session: Session, fires: list[_Fire], report: TickReport) -> list[int]:
    """Write the batch's computed steps; the cases that moved.

    All of them are written in one savepoint first, their writes to their own inbox, timer, link
    and notification rows run together at its end (`deferral`): a case that moves or fails is
    rare, and a savepoint of each case's own costs two statements and the session's bookkeeping
    on every case of a burst. When one does, that savepoint is rolled back and each case is
    written in a savepoint of its own, so that it is rolled back alone."""
    # Each step appends to its case's shard of the chain and holds that shard's head until the
    # commit: batches that took heads in different orders could deadlock, so each takes them in
    # ascending order.
    moved: list[int] = []
    ordered = _unmoved(session, sorted(fires, key=lambda f: (shard_of(f.instance_id), f.instance_id)), moved)
    # The batch's case rows are claimed by it and as they were read: a case's operations done again
    # need not read its siblings' rows again (each would fetch their snapshots anew).
    held = tuple(fire.case.instance for fire in ordered)
    with shared_reads.shared(session):
        read_together(session, [(fire.instance_id, call) for fire in ordered for call in fire.case.calls])
        if not _write_together(session, ordered, report, held):
            for fire in ordered:
                _write_fire(session, fire, report, moved, held)
    return moved


# The claimed cases as they are now (SQLite claims them before it takes the write lock).
_AS_NOW = select(
    ProcessInstance.id, ProcessInstance.version, ProcessInstance.pending_messages, ProcessInstance.status
).where(ProcessInstance.id.in_(bindparam("ids", expanding=True)))


def _unmoved(session: Session, fires: list[_Fire], moved: list[int]) -> list[_Fire]:
    """The cases as their steps found them, read again in one statement under SQLite's write lock
    (each would read its own); those another step moved in between are left to be computed again.
    PostgreSQL locked the rows when it claimed them."""
    if not fires or not fires[0].case.kernel.db.is_sqlite:
        return fires
    ids = [fire.instance_id for fire in fires]
    now = {row[0]: tuple(row[1:]) for row in session.connection().execute(_AS_NOW, {"ids": ids})}
    kept = []
    for fire in fires:
        if now.get(fire.instance_id) == fire.case.seen:
            kept.append(fire)
        else:
            moved.append(fire.instance_id)
            session.expire(fire.case.instance)  # an operation of another case may read it
    return kept


def _write_together(
    session: Session, fires: list[_Fire], report: TickReport, held: tuple[ProcessInstance, ...]
) -> bool:
    """Write every case in one savepoint; False (all rolled back, the rows read again if needed)
    when one moved or failed."""
    journal = journal_of(session)
    mark, own = len(journal.pending), TickReport(now=report.now)
    savepoint = session.begin_nested()
    try:
        ids = [fire.instance_id for fire in fires]
        wanted: Counter[int] = Counter()
        for fire in fires:
            wanted[shard_of(fire.instance_id)] += len(fire.case.planned)
        with (
            deferral.deferring(session.connection()) as deferred,
            open_links_known(session, ids),
            heads_kept(session, wanted),
        ):
            for fire in fires:
                fire.write(own, held, checked=True)
            deferred.flush(session.connection())
        savepoint.commit()
    except (CaseMoved, XianfengError):
        _rolled_back(session, savepoint, journal, mark, held)
        return False
    report.fired.extend(own.fired)
    report.delivered.extend(own.delivered)
    return True


def _write_fire(
    session: Session, fire: _Fire, report: TickReport, moved: list[int], held: tuple[ProcessInstance, ...]
) -> None:
    """Write one case's steps in a savepoint; one that moved or fails is rolled back alone."""
    journal = journal_of(session)
    mark, own = len(journal.pending), TickReport(now=report.now)
    savepoint = session.begin_nested()
    try:
        fire.write(own, held, checked=True)
        savepoint.commit()
    except (CaseMoved, XianfengError) as exc:
        _rolled_back(session, savepoint, journal, mark, (fire.case.instance,))
        if isinstance(exc, CaseMoved):
            moved.append(fire.instance_id)
        else:
            _failed(report, fire.instance_id, exc)
        return
    report.fired.extend(own.fired)
    report.delivered.extend(own.delivered)


def _rolled_back(
    session: Session, savepoint: Any, journal: Journal, mark: int, rows: tuple[ProcessInstance, ...]
) -> None:
    """Roll back a savepoint with what its writes recorded. A step sets its case row's columns in
    memory as written (not as changed), which the rollback does not undo: those rows are read again."""
    savepoint.rollback()
    for row in rows:
        session.expire(row)
    del journal.pending[mark:]


def _failed(report: TickReport, instance_id: int, exc: XianfengError) -> None:
    log.error("tick of instance %s failed: %s", instance_id, exc.message)
    report.failed.append((instance_id, exc.message))


# PostgreSQL: a ticker working on a shard's due cases holds this advisory lock (with the shard)
# until its batch commits. Only tickers take it: steps and verbs never wait for it.
_TICKING = 0x5846_7469  # "XFti"
_TRY_SHARD = text("SELECT pg_try_advisory_xact_lock(:key, :shard)")


def _working_on(session: Session, window: list[int]) -> bool:
    """Whether this ticker may now work on the window's shard (PostgreSQL groups windows by shard):
    not while another ticker's batch is there, whose shard head this one's batch would wait for
    until it commits. SQLite has one writer: always."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = session.connection().execute(_TRY_SHARD, {"key": _TICKING, "shard": shard_of(window[0])})
    return bool(taken.scalar_one())


def _claim(session: Session, window: list[int], now: dt.datetime) -> list[ProcessInstance]:
    """Up to BATCH cases of the window, in order, still running with a timer due or a message
    waiting, read in one statement and locked for this transaction; rows another transaction
    holds are passed over."""
    due = exists().where(TimerRow.instance_id == ProcessInstance.id, TimerRow.due_at < now)
    waiting = exists().where(
        PendingMessage.instance_id == ProcessInstance.id, PendingMessage.delivered_at.is_(None)
    )
    statement = (
        select(ProcessInstance)
        .where(ProcessInstance.id.in_(window), ProcessInstance.status == "running", or_(due, waiting))
        .order_by(ProcessInstance.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    return list(session.execute(statement).scalars())


@dataclass
class _Fire:
    """What is due for one case, computed: the messages delivered first, then its tick (`tick`,
    the index of the tick's step among the case's), then the messages that made it ready for."""

    case: CaseAhead
    delivered: int
    tick: int | None

    @property
    def instance_id(self) -> int:
        return self.case.instance.id

    def write(
        self, report: TickReport, held: tuple[ProcessInstance, ...] = (), checked: bool = False
    ) -> None:
        """Write the case's steps (`CaseAhead.write`: `held`, the batch's rows; `checked`, unmoved)."""
        seqs = self.case.write(held=held, checked=checked)
        if self.delivered:
            report.delivered.append((self.instance_id, self.delivered))
        if self.tick is not None:
            report.fired.append((self.instance_id, seqs[self.tick]))


def _plan_fire(
    session: Session,
    kernel: Kernel,
    instance: ProcessInstance,
    now: dt.datetime,
    meta: EventMeta | None = None,
    *,
    timers: bool = True,
) -> _Fire | None:
    """Compute what is due for the case now (nothing written), as this unit of work read it (on
    PostgreSQL, locked): the waiting messages it listens for, and its due timers unless `timers`
    is false; None if nothing is due."""
    if timers and meta is None:
        computed = fires_ahead.take_for(kernel, session, instance, now)
        if computed is not None:  # computed before its deadline, for the case as it is
            return _Fire(computed, 0, 0)
    case = CaseAhead(kernel, session, instance, kernel.catalog.get(session, instance.process_version_id))
    delivered = case.deliver(now)
    tick = None
    held_until = case.earliest_pending()
    if (
        timers
        and case.timer_due(now)
        and case.status == "running"
        and (held_until is None or held_until >= now)
    ):
        case.step(case.input("tick", now), meta or EventMeta(kind="tick", actor=None))
        tick = len(case.planned) - 1
        case.deliver(now)
    return _Fire(case, delivered, tick) if case.planned else None
