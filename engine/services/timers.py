"""Fire what is due: timers whose time has passed, and messages that could not be delivered before.

SpiffWorkflow fires a timer once its time is strictly in the past, so rows are selected with
`due_at < now`, and a tick step that changes nothing is not written to the log.

Instances are fired in batches, each instance in its own savepoint, so one failing instance does
not hold back the others; its failure is reported, and its state stays as it was. On PostgreSQL
several workers can tick at once: each batch is claimed with `FOR UPDATE SKIP LOCKED`, so workers
take disjoint batches.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..errors import XianfengError
from ..journal.capture import journal_of
from ..kernel import Kernel
from ..models import PendingMessage, ProcessInstance, TimerRow
from ..process.history import shard_of
from . import citations, limits, reminders, schedules
from .audit import anchors
from .steps import EventMeta, compute, deliver_pending, earliest_pending, persist, step_input_for

log = logging.getLogger("xianfeng.timers")
BATCH = 20  # instances whose due steps share one transaction
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
    due = due_instances(kernel, now)
    position = 0
    while position < len(due):
        window = due[position : position + WINDOW * BATCH]
        try:
            position += _tick_batch(kernel, window, now, report)
        except OperationalError as exc:
            if not _deadlock(exc):
                raise
            # PostgreSQL chose this batch to end a lock cycle with another transaction: it was
            # rolled back whole, and its instances are claimed again at the next tick.
            log.warning("a tick batch was rolled back to end a deadlock; it is tried again next tick")
            position += len(window)
    report.published = anchors.publish_due(kernel, now)
    report.removed_files = citations.remove_uncited(kernel, now)
    limits.purge(kernel, now)
    return report


def _deadlock(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "40P01"


def tick_one(kernel: Kernel, instance_id: int, now: dt.datetime, meta: EventMeta) -> TickReport:
    """Fire what is due for one instance now, as `meta` says (an administrator's retry of a step
    that failed); a failure is raised, not collected."""
    report = TickReport(now=now)
    _tick_instance(kernel, instance_id, now, report, meta)
    return report


def _tick_instance(
    kernel: Kernel, instance_id: int, now: dt.datetime, report: TickReport, meta: EventMeta | None = None
) -> None:
    with kernel.db.unit_of_work() as uow:
        _fire(uow.session, kernel, instance_id, now, report, meta)
        uow.commit()


def _tick_batch(kernel: Kernel, window: list[int], now: dt.datetime, report: TickReport) -> int:
    """Fire what is due for several instances in one transaction: when many deadlines fall due
    together (every evaluation of a round at the same midnight), one commit per instance is what
    makes the last one late. Each instance runs in a savepoint, so one that fails is rolled back
    alone, reported, and tried again at the next tick.

    The batch is claimed from the window of due instances in one statement: up to BATCH that are
    still running and due, locked, skipping those another worker holds (PostgreSQL) — so workers
    ticking together take disjoint batches and none re-reads what another has fired. Returns how
    far into the window this batch got (the next batch starts after its last instance)."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        journal = journal_of(session)
        ids = _claim(session, window, now)
        # Each step appends to its case's shard of the chain and holds that shard's head until the
        # commit: batches that took heads in different orders could deadlock, so each takes them
        # in ascending order.
        for instance_id in sorted(ids, key=lambda i: (shard_of(i), i)):
            mark, own = len(journal.pending), TickReport(now=now)
            savepoint = session.begin_nested()
            try:
                _fire(session, kernel, instance_id, now, own)
                savepoint.commit()
            except XianfengError as exc:
                savepoint.rollback()
                del journal.pending[mark:]
                log.error("tick of instance %s failed: %s", instance_id, exc.message)
                report.failed.append((instance_id, exc.message))
                continue
            report.fired.extend(own.fired)
            report.delivered.extend(own.delivered)
        uow.commit()
    return window.index(ids[-1]) + 1 if ids else len(window)


def _claim(session: Session, window: list[int], now: dt.datetime) -> list[int]:
    """Up to BATCH instances of the window, in order, still running with a timer due or a message
    waiting, locked for this transaction; rows another transaction holds are passed over."""
    due = exists().where(TimerRow.instance_id == ProcessInstance.id, TimerRow.due_at < now)
    waiting = exists().where(
        PendingMessage.instance_id == ProcessInstance.id, PendingMessage.delivered_at.is_(None)
    )
    statement = (
        select(ProcessInstance.id)
        .where(ProcessInstance.id.in_(window), ProcessInstance.status == "running", or_(due, waiting))
        .order_by(ProcessInstance.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    return list(session.execute(statement).scalars())


def _fire(
    session: Session,
    kernel: Kernel,
    instance_id: int,
    now: dt.datetime,
    report: TickReport,
    meta: EventMeta | None = None,
) -> None:
    instance = session.execute(
        select(ProcessInstance)
        .where(ProcessInstance.id == instance_id, ProcessInstance.status == "running")
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if instance is None:
        return  # ended, suspended, or claimed by another worker's tick
    version = kernel.catalog.get(session, instance.process_version_id)
    delivered = deliver_pending(session, kernel, instance, version, now)
    if delivered:
        report.delivered.append((instance_id, delivered))
    due = session.execute(
        select(TimerRow.id).where(TimerRow.instance_id == instance_id, TimerRow.due_at < now).limit(1)
    ).first()
    held_until = earliest_pending(session, instance)
    if due is not None and instance.status == "running" and (held_until is None or held_until >= now):
        step = step_input_for(instance, "tick", now)
        result = compute(session, kernel, instance, version, step)
        seq = persist(
            session, kernel, instance, version, step, result, meta or EventMeta(kind="tick", actor=None)
        )
        report.fired.append((instance_id, seq))
        deliver_pending(session, kernel, instance, version, now)
