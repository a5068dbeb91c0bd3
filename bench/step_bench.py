"""How much a persisted step costs, and whether it stays flat as history grows.

Prints, in one run on the same machine and the same diagrams:
  a) the persisted step through the service layer vs SpiffWorkflow alone (load → deserialize →
     complete → engine steps → serialize → UPDATE + INSERT → COMMIT, as the engine study's
     raw_engine_bench.py section c);
  b) the step when the database already holds 100 vs 100,000 past events (many instances);
  c) the step in the longest realistic instance (three return loops, 30 + 30 evaluators) vs the
     shortest;
  d) SQL statements per completion.
Targets: a ≤ 3×, b ≤ 1.2×, c ≤ 2×, d ≤ 10. Not a test: it measures and prints.

    python bench/step_bench.py [--quick] [--events 100000]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_support import (
    Driver,
    clone_history,
    count_statements,
    new_kernel,
    raw_floor,
)


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def p95_ms(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] * 1000


def section_a(folder: Path, instances: int) -> tuple[float, float]:
    kernel = new_kernel(folder / "a.sqlite3")
    driver = Driver(kernel)
    ours: list[float] = []
    for _ in range(instances):
        driver.start(evaluators=3, public=5)
        ours.extend(driver.evaluate_timed())
    floor = raw_floor(folder / "raw.sqlite3", instances, evaluators=3, public=5)
    ours_ms, floor_ms = median_ms(ours), median_ms(floor)
    print("a) persisted evaluation step (median of", len(ours), "steps each; SQLite WAL, synchronous=FULL)")
    print(f"   SpiffWorkflow alone, spec left out : {floor_ms:7.3f} ms  (p95 {p95_ms(floor):.3f})")
    print(f"   Xianfeng service layer             : {ours_ms:7.3f} ms  (p95 {p95_ms(ours):.3f})")
    verdict(f"   ratio {ours_ms / floor_ms:.2f}x", ours_ms / floor_ms, 3.0)
    return ours_ms, floor_ms


def section_b(folder: Path, events: int, samples: int) -> None:
    small = new_kernel(folder / "b-small.sqlite3")
    clone_history(small, target_events=100)
    large = new_kernel(folder / "b-large.sqlite3")
    t0 = time.perf_counter()
    clone_history(large, target_events=events)
    filled = time.perf_counter() - t0
    few = Driver(small).sample_steps(samples)
    many = Driver(large).sample_steps(samples)
    print(f"b) the same step with 100 vs {events:,} events already stored (filled in {filled:.1f} s)")
    print(f"   100 events          : {median_ms(few):7.3f} ms")
    print(f"   {events:>7,} events      : {median_ms(many):7.3f} ms")
    verdict(f"   ratio {median_ms(many) / median_ms(few):.2f}x", median_ms(many) / median_ms(few), 1.2)


def section_c(folder: Path, samples: int) -> None:
    kernel = new_kernel(folder / "c.sqlite3")
    driver = Driver(kernel)
    short = driver.decision_step_timings(evaluators=3, public=5, returns=0, samples=samples)
    long_ = driver.decision_step_timings(evaluators=30, public=30, returns=3, samples=samples)
    print("c) committee decision step: shortest instance vs longest realistic one")
    print(f"   3 + 5 evaluators, no return        : {median_ms(short):7.3f} ms")
    print(f"   30 + 30 evaluators, 3 returns       : {median_ms(long_):7.3f} ms")
    verdict(f"   ratio {median_ms(long_) / median_ms(short):.2f}x", median_ms(long_) / median_ms(short), 2.0)


def section_d(folder: Path) -> None:
    kernel = new_kernel(folder / "d.sqlite3")
    counts = count_statements(Driver(kernel))
    print("d) SQL statements per completion (BEGIN and COMMIT included)")
    for label, count in counts.items():
        print(f"   {label:<44}: {count}")
    typical = counts["member evaluation (typical)"]
    verdict(f"   typical completion: {typical}", typical, 10)


def verdict(label: str, value: float, target: float) -> None:
    print(f"{label}  target <= {target:g}  {'OK' if value <= target else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer instances and 10,000 events")
    parser.add_argument("--events", type=int, default=None)
    args = parser.parse_args()
    events = args.events or (10_000 if args.quick else 100_000)
    instances, samples = (8, 15) if args.quick else (30, 40)
    print(f"Python {platform.python_version()} | {platform.platform()} | {sys.executable}")
    with tempfile.TemporaryDirectory(prefix="xianfeng-bench-") as tmp:
        folder = Path(tmp)
        section_a(folder, instances)
        section_b(folder, events, samples)
        section_c(folder, samples)
        section_d(folder)


if __name__ == "__main__":
    main()
