"""How long the history page's question takes: `timeline.case_at` replays a case from its first
event on every request (nothing is cached), so its cost grows with the case's events.

Builds a creation case of about 50 events (20 members and 20 villagers evaluating, three returns
by the committee, approval) on a temporary SQLite file and times `case_at` at its first, middle
and last event. Usage: `.venv/bin/python bench/timeline_bench.py [--repeats N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_support import Driver, new_kernel

from xianfeng.engine.services.audit.timeline import case_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        kernel = new_kernel(Path(folder) / "bench.sqlite3")
        driver = Driver(kernel)
        driver.to_decision(evaluators=20, public=20, returns=3)
        driver.one(driver.committee, "Task_committee_decision", {"decision": "approve", "opinion": "同意"})
        events = len(case_at(kernel, driver.auditor, driver.instance_id).events)
        print(f"case_at on a creation case of {events} events (SQLite), median of {args.repeats}:")
        for label, position in (("first event", 1), ("middle event", events // 2), ("last event", events)):
            timings = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                case = case_at(kernel, driver.auditor, driver.instance_id, position)
                timings.append(time.perf_counter() - t0)
                assert case.moment is not None and all(e.replay == "ok" for e in case.events)
            median = statistics.median(timings) * 1000
            print(f"   at the {label:<13}: {median:7.1f} ms  (max {max(timings) * 1000:.1f})")
        print(f"   per event replayed: {median / events:.2f} ms")
        kernel.db.dispose()


if __name__ == "__main__":
    main()
