"""Deadlines computed before they fall due, written when they pass.

Every evaluation of a round ends at the same local midnight: thousands of cases fall due in the
same second. Firing one is a SpiffWorkflow step of several milliseconds (the tally, the decision
table, the gateways) and then its writes; one after the other, the last case fired many seconds
after its deadline. Yet a deadline is known long before it passes, and so is all a case's tick
will read: the case itself, the service operations it calls (tried, `service_calls`) and the
working calendar.

So in each round the server's ticker also computes, within a time budget (after firing what is
due), the ticks of the cases whose first deadline
falls within the next `tick_ahead_seconds`, each as it will run: at its deadline (one microsecond
after it: a timer fires once its time is strictly in the past). Nothing is written; the computed
steps wait in the ticker's memory. When the deadline has passed, the tick that fires the case
takes them if the case is as they found it (`CaseAhead.rebase`: its version, waiting messages and
status), redoes their operations and checks the calendar (`CaseAhead.write`), and writes them:
the events are those the tick at the deadline would have written. A case that moved meanwhile (a
vote, a return, a migration) is computed again by the next round ahead, or when it falls due.

A case with messages waiting is left to its tick (the messages go first). What was computed for
a deadline long past (the server was down) is dropped: the case is fired at the tick's own time.
Each ticker keeps its own: several tickers compute the same cases (spare CPU in the minute before
the deadline), and claim disjoint batches when it passes, as before.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..errors import XianfengError
from ..kernel import Kernel
from ..models import ProcessInstance, TimerRow
from . import kept_ahead
from .case_ahead import CaseAhead, CaseMoved, case_unit
from .kept_ahead import Ahead
from .steps import EventMeta

# A timer fires once its time is strictly in the past: the tick computed ahead runs this after it.
AFTER_DEADLINE = dt.timedelta(microseconds=1)
CHUNK = 20  # cases computed per unit of work


def take_for(
    kernel: Kernel, session: Session, instance: ProcessInstance, now: dt.datetime
) -> CaseAhead | None:
    """The tick computed ahead for the case, due by `now` and made for the case as `instance` is
    (read, on PostgreSQL locked, by the unit of work that writes it); None if there is none."""
    ahead = kernel.fires_ahead.take(instance.id)
    if ahead is None or ahead.case is None or ahead.at > now or now - ahead.at > _window(kernel):
        return None
    try:
        ahead.case.rebase(session, instance)
    except CaseMoved:
        return None
    return ahead.case


def compute_ahead(kernel: Kernel, now: dt.datetime) -> int:
    """Compute, within the budget, the ticks of cases whose first deadline falls in the window
    after `now` and that this process does not hold already; how many it computed."""
    window = _window(kernel)
    if window <= dt.timedelta(0):
        return 0
    store = kernel.fires_ahead
    store.drop_before(now - window)
    todo = [(i, due) for i, due, version in _coming(kernel, now, now + window) if not store.holds(i, version)]
    stop = time.monotonic() + kernel.settings.tick_ahead_budget
    computed = 0
    for first in range(0, len(todo), CHUNK):
        if time.monotonic() >= stop or store.full():
            break  # a full store: the rest are computed when their deadline passes
        computed += _compute_chunk(kernel, todo[first : first + CHUNK], stop)
    return computed


def _window(kernel: Kernel) -> dt.timedelta:
    return dt.timedelta(seconds=kernel.settings.tick_ahead_seconds)


def _coming(kernel: Kernel, now: dt.datetime, until: dt.datetime) -> list[tuple[int, dt.datetime, int]]:
    """Running cases with no message waiting whose first deadline is in [now, until), soonest
    first: (case, deadline, version)."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        firsts: dict[int, dt.datetime] = {}
        for instance_id, due in session.execute(timers_before(until)):
            firsts[instance_id] = min(due, firsts.get(instance_id, due))
        soonest = sorted(((due, i) for i, due in firsts.items() if due >= now))[: kept_ahead.MAX_KEPT]
        coming = {i: due for due, i in soonest}
        if not coming:
            return []
        cases = session.execute(
            select(ProcessInstance.id, ProcessInstance.version).where(
                ProcessInstance.id.in_(sorted(coming)),
                ProcessInstance.status == "running",
                ProcessInstance.pending_messages == 0,
            )
        )
        return sorted(((i, coming[i], version) for i, version in cases), key=lambda c: (c[1], c[0]))


def timers_before(until: dt.datetime) -> Select[int, dt.datetime]:
    """Every worker's ticker asks each round: the timers due before `until`, read through their
    index (a case's timers due earlier are among them, so its first deadline is their least), never
    every open case's."""
    return select(TimerRow.instance_id, TimerRow.due_at).where(TimerRow.due_at < until)


def _compute_chunk(kernel: Kernel, chunk: list[tuple[int, dt.datetime]], stop: float) -> int:
    """Compute the chunk's ticks in one unit of work that writes nothing (on PostgreSQL the tries of
    their operations are savepoints of it; it is rolled back)."""
    computed = 0
    with case_unit(kernel) as (uow, _begin_write):
        session = uow.session
        for instance_id, due in chunk:
            if time.monotonic() >= stop or kernel.fires_ahead.full():
                break
            instance = session.get(ProcessInstance, instance_id)
            if instance is None or instance.status != "running" or instance.pending_messages:
                continue
            loaded = kernel.catalog.get(session, instance.process_version_id)
            case = CaseAhead(kernel, session, instance, loaded)
            at = due + AFTER_DEADLINE
            kept: CaseAhead | None = case
            try:
                case.step(case.input("tick", at), EventMeta(kind="tick", actor=None))
            except CaseMoved:
                continue  # computed again next round
            except XianfengError:
                kept = None  # not tried again each round: its tick at the deadline reports why
            if kept is not None:
                kept.pack()
            kernel.fires_ahead.keep(instance_id, Ahead(kept, instance.version, at))
            computed += 1
    return computed
