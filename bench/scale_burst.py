"""scale_bench.py, the burst: N nominations started at one moment wait at one evaluation deadline
(their tally, decision table and service tasks run when it passes). In the minutes before it, each
ticker computes the cases' ticks as a server's ticker does (`fires_ahead`, within its budget of each
one-second round); `tick` at the deadline writes them all. On SQLite one ticker writes at a time;
on PostgreSQL two ticker processes claim disjoint batches with SKIP LOCKED. Then `verify` replays
the log the burst wrote.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import multiprocessing
import pstats
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_support import START, new_kernel
from scale_support import add_members, postgres_kernel, start_nominations

from xianfeng.engine.clock import ManualClock
from xianfeng.engine.config import Settings
from xianfeng.engine.db import Database
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, TimerRow
from xianfeng.engine.services import audit, fires_ahead, setup, timers

TARGET_S = 5.0


def fill(kernel: Kernel, count: int) -> dt.datetime:
    """`count` nominations at one moment; the moment just after their shared deadline."""
    add_members(kernel, count + 10)
    t0 = time.perf_counter()
    start_nominations(kernel, count)
    timers.tick(kernel, START)  # the schedules' first-round bookkeeping, before the burst
    with kernel.db.unit_of_work(write=False) as uow:
        deadlines = uow.session.execute(sa.select(TimerRow.due_at).distinct()).scalars().all()
    assert len(deadlines) == 1, deadlines
    print(f"   ({count:,} nominations started through the services in {time.perf_counter() - t0:.0f} s)")
    return deadlines[0] + dt.timedelta(microseconds=1)


def compute_ahead(kernel: Kernel, now: dt.datetime, count: int) -> tuple[int, float]:
    """The ticker's rounds before the deadline (one a second, from `tick_ahead_seconds` before it),
    each computing ahead within its budget, until every case is computed: how many rounds, and the
    seconds they spent."""
    window = kernel.settings.tick_ahead_seconds
    rounds, spent = 0, 0.0
    while len(kernel.fires_ahead) < count and rounds < window:
        t0 = time.perf_counter()
        fires_ahead.compute_ahead(kernel, now - dt.timedelta(seconds=window - rounds))
        spent += time.perf_counter() - t0
        rounds += 1
    return rounds, spent


def timed_tick(kernel: Kernel, now: dt.datetime) -> tuple[timers.TickReport, list[tuple[float, int]]]:
    """The tick, with the time each batch committed and how many had fired by then."""
    real, marks, t0 = timers._tick_batch, [], time.perf_counter()

    def batch(*args: Any, **kwargs: Any) -> int:
        done = real(*args, **kwargs)
        marks.append((time.perf_counter() - t0, len(args[3].fired)))
        return done

    timers._tick_batch = batch  # type: ignore[assignment]
    try:
        report = timers.tick(kernel, now)
    finally:
        timers._tick_batch = real  # type: ignore[assignment]
    return report, marks


def sqlite(folder: Path, count: int) -> None:
    path = folder / "burst.sqlite3"
    kernel = new_kernel(path)
    print(f"b) {count:,} deadlines falling together, SQLite (WAL, synchronous=FULL), one ticker")
    now = fill(kernel, count)
    setup.warm(kernel)
    kernel.db.dispose()
    copy = folder / "burst-profile.sqlite3"
    shutil.copy(path, copy)
    rounds, spent = compute_ahead(kernel, now, count)
    print(
        f"   computed ahead: {len(kernel.fires_ahead):,} ticks in the ticker's {rounds} rounds before the"
        f" deadline ({spent:.1f} s, {kernel.settings.tick_ahead_budget:g} s a round at most)"
    )
    report, marks = timed_tick(kernel, now)
    median = next(at for at, fired in marks if fired >= count // 2)
    last = marks[-1][0]
    assert len(report.fired) == count and not report.failed, (len(report.fired), report.failed[:3])
    fired = len(report.fired)
    print(f"   fired {fired:,} in batches of {timers.BATCH}: half by {median:.1f} s, all by {last:.1f} s")
    print("   after the deadline (a server's ticker begins within its 1 s interval of it)")
    verdict("   last one fired ", last, TARGET_S)
    where_the_time_goes(copy, now)
    checked = audit.verify(kernel)
    state = "clean" if checked.ok else f"PROBLEMS: {checked.problems[:2]}"
    print(f"   verify after the burst (chain, tables, every case replayed): {state}")
    kernel.db.dispose()


def verdict(label: str, seconds: float, target: float) -> None:
    print(f"{label}{seconds:7.1f} s  target <= {target:g} s  {'OK' if seconds <= target else 'MISSED'}")


def where_the_time_goes(path: Path, now: dt.datetime, sample: int = 100) -> None:
    """Shares of the time of the batches that fire `sample` cases, from cProfile's cumulative times
    (on a copy made before the burst): computed at the deadline, and computed ahead."""
    url = f"sqlite:///{path}"
    kernel = Kernel(Settings(database_url=url, data_dir=path.parent), Database(url, "FULL"), ManualClock(now))
    setup.warm(kernel)
    due = timers.due_instances(kernel, now)
    compute_ahead(kernel, now, sample)
    for instance_id in due[-sample:]:  # these are computed at the deadline
        kernel.fires_ahead.take(instance_id)
    print("   where a batch's time goes (cProfile, shares of the whole):")
    _profiled(kernel, now, due[-sample:], "computed at the deadline")
    _profiled(kernel, now, due[:sample], "computed ahead, written at the deadline")
    kernel.db.dispose()


def _profiled(kernel: Kernel, now: dt.datetime, due: list[int], label: str) -> None:
    report = timers.TickReport(now=now)
    profile = cProfile.Profile()
    profile.enable()
    position = 0
    while position < len(due):
        advanced, _moved = timers._tick_batch(
            kernel, due[position : position + timers.WINDOW * timers.BATCH], now, report
        )
        position += advanced
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    cumulative = {(Path(f).name, name): ct for (f, _l, name), (_c, _n, _t, ct, _callers) in stats.items()}
    total = cumulative[("timers.py", "_tick_batch")]
    parts = [
        ("SpiffWorkflow: engine steps (timer, tally, table, gateways)", ("runtime.py", "_engine_steps")),
        ("   of which service tasks (the tally reads the log)", ("effects.py", "call")),
        ("restoring the snapshot", ("runtime.py", "_load")),
        ("the ready tasks and the snapshot's dump", ("runtime.py", "_result")),
        ("the tally done again, before its event", ("service_calls.py", "done_again")),
        ("writing: inbox, timers, links, the chained event", ("steps.py", "persist")),
        ("   of which the inbox and its notifications", ("steps.py", "_sync_inbox")),
        ("every SQL statement (reads and writes)", ("base.py", "_execute_context")),
        (f"commits ({timers.BATCH} instances each)", ("default.py", "do_commit")),
    ]
    print(f"    {len(report.fired)} cases {label}, {1000 * total / len(due):.1f} ms each under cProfile:")
    for part, key in parts:
        if key in cumulative:
            print(f"      {part:<58}: {100 * cumulative[key] / total:5.1f} %")


def _count(kernel: Kernel, statement: Any) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(statement).scalar_one())


def _ticker(
    url: str, folder: str, now: str, deadline: Any, count: int
) -> tuple[list[int], float, float, int, float]:
    """One ticker process: parse the diagrams, compute ahead in the rounds before the deadline,
    wait for the deadline (when every ticker has had its rounds: `deadline`, a barrier), tick once."""
    at = dt.datetime.fromisoformat(now)
    kernel = Kernel(Settings(database_url=url, data_dir=Path(folder)), Database(url), ManualClock(at))
    setup.warm(kernel)
    _rounds, spent = compute_ahead(kernel, at, count)
    computed = len(kernel.fires_ahead)
    deadline.wait()
    t0 = time.time()
    report = timers.tick(kernel, at)
    t1 = time.time()
    kernel.db.dispose()
    return [instance_id for instance_id, _seq in report.fired], t0, t1, computed, spent


def postgres(url: str, folder: Path, count: int, workers: int = 2) -> None:
    print(f"b') {count:,} deadlines falling together, PostgreSQL, {workers} ticker processes at once")
    kernel = postgres_kernel(url, folder)
    now = fill(kernel, count)
    # The deadline passes once every ticker has had its rounds before it (both at once, on these
    # cores; a server has `tick_ahead_seconds` of them).
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(workers) as pool:
        deadline = manager.Barrier(workers)
        results = pool.starmap(_ticker, [(url, str(folder), now.isoformat(), deadline, count)] * workers)
    ahead = ", ".join(f"{computed:,} in {spent:.1f} s" for *_fired, computed, spent in results)
    print(f"   computed ahead, each ticker in its rounds before the deadline: {ahead}")
    fired = [set(ids) for ids, *_rest in results]
    overlap = set.intersection(*fired) if len(fired) > 1 else set()
    last = max(t1 for _ids, _t0, t1, *_ in results) - min(t0 for _ids, t0, *_ in results)
    each = ", ".join(f"{len(ids):,}" for ids in fired)
    together = sum(map(len, fired))
    print(f"   the tickers fired {each} (disjoint: {not overlap}), together {together:,} of {count:,}")
    ticks = (
        sa.select(Event.instance_id, sa.func.count()).where(Event.kind == "tick").group_by(Event.instance_id)
    )
    with kernel.db.unit_of_work(write=False) as uow:
        per_case = [n for _id, n in uow.session.execute(ticks)]
    print(
        f"   tick events per case: {statistics.mode(per_case) if per_case else 0} (each of {len(per_case):,} "
        f"cases, none twice: {max(per_case, default=0) == 1})"
    )
    verdict("   last one fired ", last, TARGET_S)
    kernel.db.dispose()
