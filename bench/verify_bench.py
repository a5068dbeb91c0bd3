"""How fast `verify` replays history, in one process and in worker processes.

Fills a SQLite database with at least --events events (default 10,000) from nominations walked
through the service layer (verify_support.py: 3 to 12 members and 5 to 30 villagers evaluating,
some returned once or twice, then approved, rejected, declined or left off the list). Then
prints, in one run on the same machine:
  a) the chain alone (hashes, links, the rebuild of every chained table: `verify --no-replay`);
  b) replay alone, in this process (workers=1) and in two worker processes (workers=2);
  c) `verify --full` as the command line runs it (chain, tables, every case replayed from its
     first event in workers, the checkpoints it proved kept), in events per second;
  d) where one replayed event's time goes, from a profile of replay in one process;
  e) the next `verify` after a tenth more events (on a copy of the database): each case replayed
     from the checkpoint (c) kept, the new events alone replayed; target >= 2,000 events/s.
Not a test: it measures and prints. --keep DIR keeps the database there and reuses it next time.

    python bench/verify_bench.py [--quick] [--events 10000] [--keep DIR] [--repeats 3]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_support import START
from verify_support import add_events, count_events, fill

from xianfeng.engine.clock import ManualClock
from xianfeng.engine.config import Settings
from xianfeng.engine.db import Database
from xianfeng.engine.errors import DatabaseNotReady
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ProcessInstance
from xianfeng.engine.services import audit, setup
from xianfeng.engine.services.audit.parallel import replay_instances

TARGET = 2000.0


def open_kernel(path: Path, clock: ManualClock | None = None) -> Kernel:
    url = f"sqlite:///{path}"
    settings = Settings(database_url=url, data_dir=path.parent, sqlite_synchronous="FULL")
    if clock is None:
        return Kernel(settings=settings, db=Database(url, "FULL"))
    return Kernel(settings=settings, db=Database(url, "FULL"), clock=clock)


def _current(kernel: Kernel) -> bool:
    try:
        setup.check_ready(kernel)
    except DatabaseNotReady:
        return False
    return True


def instance_ids(kernel: Kernel) -> list[int]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(ProcessInstance.id).order_by(ProcessInstance.id)).scalars())


def timed(action: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of `repeats` runs (CPU of this process and of the worker
    processes it waited for); each run must find nothing wrong."""
    walls, cpus = [], []
    for _ in range(repeats):
        c0, t0 = _cpu(), time.perf_counter()
        outcome = action()
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
        problems = (
            outcome.problems if hasattr(outcome, "problems") else [p for v in outcome.values() for p in v]
        )
        if problems:
            raise SystemExit(f"verify found problems in the bench's own database: {problems[:3]}")
    return statistics.median(walls), statistics.median(cpus)


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def where_the_time_goes(kernel: Kernel, ids: list[int]) -> None:
    """Shares of one process's replay time, from cProfile's cumulative times (the profiler slows
    everything down alike, so the shares hold while the absolute figures do not)."""
    profile = cProfile.Profile()
    profile.enable()
    replay_instances(kernel, ids, workers=1)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    cumulative = {
        (Path(f).name, name): ct for (f, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.items()
    }
    total = cumulative[("parallel.py", "replay_instances")]
    parts = [
        ("restoring snapshots (SnapshotSerializer.loads)", ("serialization.py", "loads")),
        ("SpiffWorkflow: engine steps after the input", ("runtime.py", "_engine_steps")),
        ("SpiffWorkflow: applying the logged input", ("runtime.py", "_apply")),
        ("dumping snapshots (SnapshotSerializer.dumps)", ("serialization.py", "dumps")),
        ("hashing dumps (state_hash)", ("serialization.py", "state_hash")),
        ("inbox projection (ready tasks, effects)", ("projection.py", "ready_tasks")),
        ("finding ready tasks (tree walk)", ("runtime.py", "_ready_human_tasks")),
        ("reading instances and events (SQL)", ("session.py", "execute")),
    ]
    print("d) where replay's time goes (one process, cProfile shares of its total)")
    for label, key in parts:
        if key in cumulative:
            print(f"   {label:<50}: {100 * cumulative[key] / total:5.1f} %")


def _database(folder: Path, events: int) -> Kernel:
    """The kept database when it is complete and at this code's schema; otherwise a new fill."""
    path = folder / f"verify-{events}.sqlite3"
    filled = path.with_name(path.name + ".filled")  # written once the fill is complete
    if filled.exists():
        kernel = open_kernel(path)
        if _current(kernel):
            return kernel
        print("the kept database is not at this code's schema: filling it again")
        kernel.db.dispose()
    for leftover in folder.glob(path.name + "*"):
        leftover.unlink()
    kernel = fill(path, events)
    filled.touch()
    return kernel


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 events, one run each")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep (and reuse) the database in this folder"
    )
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    events = args.events or (2000 if args.quick else 10_000)
    repeats = args.repeats or (1 if args.quick else 3)
    print(f"Python {platform.python_version()} | {platform.platform()} | {sys.executable}")
    with tempfile.TemporaryDirectory(prefix="xianfeng-verify-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        kernel = _database(folder, events)
        measure(kernel, repeats)
        again(folder / f"verify-{events}.sqlite3")


def again(path: Path, share: float = 0.1) -> None:
    """e) On a copy of the database (the kept one stays as it is): a tenth more events, then the
    next verify, run once (a second run would find every checkpoint at the head)."""
    copy = path.with_name("verify-again.sqlite3")
    for leftover in path.parent.glob(copy.name + "*"):
        leftover.unlink()
    with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    kernel = open_kernel(copy, ManualClock(START))
    before = count_events(kernel)
    add_events(kernel, int(before * share))
    total = count_events(kernel)
    t0 = time.perf_counter()
    report = audit.verify(kernel)
    wall = time.perf_counter() - t0
    if not report.ok:
        raise SystemExit(f"verify found problems in the bench's own database: {report.problems[:3]}")
    rate = total / wall
    print(
        f"e) the next verify, {total - before:,} events later (from the full one's checkpoints): "
        f"{rate:8,.0f} events/s  "
        f"({wall:.2f} s; {report.replayed_events:,} events replayed, "
        f"{report.checkpointed_events:,} spared, {report.checkpoints_refused} checkpoints refused)"
    )
    print(f"   target >= {TARGET:,.0f} events/s  {'OK' if rate >= TARGET else 'MISSED'}")
    kernel.db.dispose()


def measure(kernel: Kernel, repeats: int) -> None:
    ids, total, replayed = instance_ids(kernel), count_events(kernel), count_events(kernel, of_instances=True)
    print(f"{total:,} events, {replayed:,} of them in {len(ids):,} instances (the others: no instance)")
    print(f"before: load average {_load()} on {len(os.sched_getaffinity(0))} cores (a shared machine)")
    chain, _ = timed(lambda: audit.verify(kernel, replay=False), repeats)
    print(f"a) chain and tables alone (verify --no-replay): {total / chain:8,.0f} events/s  ({chain:.2f} s)")
    one, one_cpu = timed(lambda: replay_instances(kernel, ids, workers=1), repeats)
    two, two_cpu = timed(lambda: replay_instances(kernel, ids, workers=2), repeats)
    print(f"b) replay alone, in this process (workers=1) : {_rate(replayed, one, one_cpu)}")
    print(f"   replay alone, 2 worker processes          : {_rate(replayed, two, two_cpu)}")
    ceiling = 2 * replayed / two_cpu
    print(f"   speed-up {one / two:.2f}x (two free cores would give at most {ceiling:,.0f} events/s)")
    whole, _ = timed(lambda: audit.verify(kernel, checkpointed=False), repeats)
    print(f"c) verify --full, as the CLI runs it          : {total / whole:8,.0f} events/s  ({whole:.2f} s)")
    where_the_time_goes(kernel, ids[: max(1, len(ids) // 4)])
    print(f"after: load average {_load()}")


def _rate(events: int, wall: float, cpu: float) -> str:
    return f"{events / wall:8,.0f} events/s  ({wall:.2f} s; CPU {1000 * cpu / events:.3f} ms per event)"


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.2f} (1 min) {five:.2f} (5 min)"


if __name__ == "__main__":
    main()
