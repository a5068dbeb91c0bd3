"""How fast `verify` replays history, in one process and in worker processes.

Fills a SQLite database with at least --events events (default 10,000) from creation procedures
walked through the service layer: 3 to 12 members and 5 to 30 villagers evaluating, some
nominations returned once or twice, then approved, rejected, declined or left off the list.
Then prints, in one run on the same machine:
  a) the chain alone (hashes, links, the rebuild of every chained table: `verify --no-replay`);
  b) replay alone, in this process (workers=1) and in two worker processes (workers=2);
  c) `verify` with replay as the command line runs it (chain, tables, replay in workers), in
     events per second; target >= 2,000;
  d) where one replayed event's time goes, from a profile of replay in one process.
Not a test: it measures and prints. --keep DIR keeps the database there and reuses it next time.

    python bench/verify_bench.py [--quick] [--events 10000] [--keep DIR] [--repeats 3]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_support import Driver, new_kernel

from xianfeng.engine.config import Settings
from xianfeng.engine.db import Database
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, ProcessInstance
from xianfeng.engine.services import audit
from xianfeng.engine.services.audit.parallel import replay_instances

TARGET = 2000.0
CONSENT = {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"}


def walk(driver: Driver, rnd: random.Random) -> None:
    """One nomination from start to its end, its shape drawn at random."""
    driver.start(
        evaluators=rnd.choice([3, 3, 3, 4, 5, 5, 8, 12]), public=rnd.choice([5, 5, 6, 8, 10, 15, 30])
    )
    driver.evaluate_timed()
    driver.pass_notice()
    if rnd.random() < 0.1:
        driver.one(driver.members[0], "Task_consent", {"willing": False, "decline_reason": "身体原因"})
        return
    driver.one(driver.members[0], "Task_consent", dict(CONSENT))
    for _ in range(rnd.choice([0, 0, 0, 1, 1, 2])):
        driver.determine()
        driver.one(
            driver.committee,
            "Task_committee_decision",
            {"decision": "return", "opinion": "请补充", "return_reasons": "岗位职责不够具体"},
        )
    if rnd.random() < 0.1:
        left_off = {
            "include": False,
            "post_title": "便民服务示范岗",
            "responsibilities": "负责便民服务站日常工作。",
            "note": "支部研究决定暂不列入",
        }
        driver.one(driver.secretary, "Task_determine_list", left_off)
        return
    driver.determine()
    decision = "reject" if rnd.random() < 0.2 else "approve"
    driver.one(driver.committee, "Task_committee_decision", {"decision": decision, "opinion": "经党委会研究"})


def fill(path: Path, events: int) -> Kernel:
    kernel = new_kernel(path)
    driver, rnd = Driver(kernel), random.Random(2026)
    t0 = time.perf_counter()
    while count_events(kernel) < events:
        walk(driver, rnd)
    print(f"filled {count_events(kernel):,} events in {time.perf_counter() - t0:.1f} s")
    return kernel


def open_kernel(path: Path) -> Kernel:
    url = f"sqlite:///{path}"
    settings = Settings(database_url=url, data_dir=path.parent, sqlite_synchronous="FULL")
    return Kernel(settings=settings, db=Database(url, "FULL"))


def count_events(kernel: Kernel, of_instances: bool = False) -> int:
    query = sa.select(sa.func.count()).select_from(Event)
    if of_instances:
        query = query.where(Event.instance_id.is_not(None))
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(query).scalar_one())


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
        path = folder / f"verify-{events}.sqlite3"
        filled = path.with_name(path.name + ".filled")  # written once the fill is complete
        if filled.exists():
            kernel = open_kernel(path)
        else:
            for leftover in folder.glob(path.name + "*"):
                leftover.unlink()
            kernel = fill(path, events)
            filled.touch()
        measure(kernel, repeats)


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
    whole, _ = timed(lambda: audit.verify(kernel), repeats)
    rate = total / whole
    verdict = "OK" if rate >= TARGET else "MISSED"
    print(f"c) verify with replay, as the CLI runs it     : {rate:8,.0f} events/s  ({whole:.2f} s)")
    print(f"   target >= {TARGET:,.0f} events/s  {verdict}")
    where_the_time_goes(kernel, ids[: max(1, len(ids) // 4)])
    print(f"after: load average {_load()}")


def _rate(events: int, wall: float, cpu: float) -> str:
    return f"{events / wall:8,.0f} events/s  ({wall:.2f} s; CPU {1000 * cpu / events:.3f} ms per event)"


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.2f} (1 min) {five:.2f} (5 min)"


if __name__ == "__main__":
    main()
