"""What a completion costs through HTTP, compared with the service layer it calls.

Prints, in one run on the same machine and the same kind of step (a member's evaluation of a
nominee, `Task_member_evaluation`, in instances with 3 members and 5 villagers):
  a) tasks.complete called in-process (as step_bench.py section a, member evaluations only);
  b) the same completion through the REST API, POST /api/v1/tasks/{id}/complete with If-Match and
     a bearer token, one client on one keep-alive connection, against `xianfeng serve --workers 2`
     (gunicorn: 2 worker processes of 4 threads, the default) in a child process; SQLite WAL,
     synchronous=FULL;
  c') 8 concurrent clients (threads of this process, one keep-alive connection each) against the
     same server: 2 gthread processes, whose threads share a core each;
  c) the same clients against `xianfeng serve --workers 2 --threads 1`: 2 sync processes, one
     request at a time each (what to run behind a buffering proxy when throughput matters).
Targets (from the issue): b p50 <= 2.4 ms; c with 2 workers >= 330 completions/s. Not a test: it
measures and prints, and says OK or MISSED for each target.

    python bench/http_bench.py [--quick] [--clients 8]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from http_support import (
    Job,
    Run,
    Server,
    StepParts,
    complete_in_process,
    new_kernel,
    prepare,
    round_trips,
    run_clients,
    split,
    take,
    tokens_for,
    usernames_of,
)

P50_TARGET_MS = 2.4
RATE_TARGET = 330.0
PEER = "SpiffArena on this machine (from the issue, not measured here): p50 24 ms, 33 completions/s"
WARM = 2  # instances completed before timing, per warm-up connection (first requests parse diagrams)
WARM_CONNECTIONS = 4  # per server: gunicorn hands connections to its worker processes in turn


def p50_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def p95_ms(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] * 1000


def at_most(label: str, value: float, target: float, unit: str) -> None:
    print(f"{label}{value:8.3f} {unit}  target <= {target:g} {unit}  {'OK' if value <= target else 'MISSED'}")


def at_least(label: str, value: float, target: float, unit: str) -> None:
    print(f"{label}{value:8.1f} {unit}  target >= {target:g} {unit}  {'OK' if value >= target else 'MISSED'}")


def errors_of(runs: list[Run]) -> list[str]:
    return [error for run in runs for error in run.errors]


def report_errors(runs: list[Run]) -> None:
    errors = errors_of(runs)
    if errors:
        print(f"   !! {len(errors)} refused or failed requests, e.g. {errors[0]}")
    else:
        print("   every request answered 200")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


def section_a(folder: Path, instances: int) -> float:
    kernel = new_kernel(folder / "service")
    jobs = prepare(kernel, WARM + instances)
    complete_in_process(kernel, take(jobs, WARM))
    parts = StepParts()
    with parts.watching():
        timings = complete_in_process(kernel, jobs)
    kernel.db.dispose()
    count = len(timings)
    print(f"a) service layer: tasks.complete in-process ({count} member evaluations, {instances} instances)")
    print(f"   p50 {p50_ms(timings):7.3f} ms   p95 {p95_ms(timings):7.3f} ms")
    mean = sum(timings) / count * 1000
    engine, commit = parts.engine / count * 1000, parts.commit / count * 1000
    print(
        f"   of its mean {mean:.3f} ms: SpiffWorkflow's step (restore, run, dump, projections) "
        f"{engine:.3f} ms,\n   SQLite's commit (WAL, fsync) {commit:.3f} ms, "
        f"the rest (reads, checks, form, writes, hash chain) {mean - engine - commit:.3f} ms"
    )
    return p50_ms(timings)


def warm(servers: list[Server], tokens: dict[str, str], jobs: list[Job]) -> None:
    """A few concurrent connections per server, so that every worker process has parsed the
    diagrams and filled its caches before anything is timed."""
    for server in servers:
        runs = run_clients([server.port], tokens, [take(jobs, WARM) for _ in range(WARM_CONNECTIONS)])
        if errors_of(runs):
            raise RuntimeError(f"warm-up failed: {errors_of(runs)[0]}")
    time.sleep(1.5)  # let each server's ticker run once outside the timed window


def section_b(servers: list[Server], tokens: dict[str, str], jobs: list[Job], instances: int) -> float:
    (run,) = run_clients([servers[0].port], tokens, [take(jobs, instances)])
    done = len(run.timings) - len(run.errors)
    print(
        f"b) HTTP, one client, sequential: POST /api/v1/tasks/{{id}}/complete + If-Match on one keep-alive\n"
        f"   connection; `xianfeng serve --workers 2` (2 processes, 4 threads each); {done} completions"
    )
    report_errors([run])
    floor = round_trips(servers[0].port, "/api/v1/no-such-path", len(run.timings))
    print(
        f"   (any request on this connection, GET of a path that does not exist (404): "
        f"p50 {p50_ms(floor):.3f} ms)"
    )
    rate = done / (run.ended - run.started)
    at_most("   p50 ", p50_ms(run.timings), P50_TARGET_MS, "ms")
    print(f"   p95 {p95_ms(run.timings):8.3f} ms   {rate:.1f} completions/s")
    return p50_ms(run.timings)


def section_c(
    label: str, servers: list[Server], tokens: dict[str, str], jobs: list[Job], clients: int, target: bool
) -> None:
    runs = run_clients([s.port for s in servers], tokens, split(jobs, clients))
    timings = [t for run in runs for t in run.timings]
    done = len(timings) - len(errors_of(runs))
    wall = max(run.ended for run in runs) - min(run.started for run in runs)
    print(f"{label}; {clients} clients, {done} completions in {wall:.2f} s")
    report_errors(runs)
    print(f"   p50 {p50_ms(timings):8.3f} ms   p95 {p95_ms(timings):8.3f} ms")
    if target:
        at_least("   throughput ", done / wall, RATE_TARGET, "completions/s")
    else:
        print(f"   throughput {done / wall:8.1f} completions/s  (for comparison; no target)")


def http_sections(folder: Path, jobs: list[Job], sequential: int, concurrent: int, clients: int) -> float:
    """b and c' against `serve --workers 2` (its default 4 threads), c against `--threads 1`."""
    data, log = folder / "http", folder / "server.log"
    server = Server(data, workers=2, threads=4, log=log)
    try:
        tokens = tokens_for(server.port, usernames_of(jobs))
        warm([server], tokens, jobs)
        http_p50 = section_b([server], tokens, jobs, sequential)
        section_c(
            "c') HTTP, concurrent: `xianfeng serve --workers 2` (2 gthread processes of 4 threads)",
            [server],
            tokens,
            take(jobs, concurrent),
            clients,
            target=False,
        )
    finally:
        server.stop()
    server = Server(data, workers=2, threads=1, log=log)
    try:
        warm([server], tokens, jobs)
        section_c(
            "c) HTTP, concurrent: `xianfeng serve --workers 2 --threads 1` (2 sync processes, a\n"
            "   connection per request, as behind a buffering proxy)",
            [server],
            tokens,
            take(jobs, concurrent),
            clients,
            target=True,
        )
    finally:
        server.stop()
    return http_p50


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer instances (about a fifth)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in section c")
    args = parser.parse_args()
    sequential, per_client = (20, 5) if args.quick else (100, 20)
    concurrent = per_client * args.clients
    where = f"{platform.platform()} | {os.cpu_count()} CPUs | {sys.executable}"
    print(f"Python {platform.python_version()} | {where}")
    print(PEER)
    print(f"before: {load()}")
    with tempfile.TemporaryDirectory(prefix="xianfeng-http-bench-") as tmp:
        folder = Path(tmp)
        service_p50 = section_a(folder, sequential)

        t0 = time.perf_counter()
        data = folder / "http"
        kernel = new_kernel(data)
        jobs = prepare(kernel, 2 * WARM * WARM_CONNECTIONS + sequential + 2 * concurrent)
        kernel.db.dispose()
        print(f"   (prepared {len(jobs)} instances for the HTTP runs in {time.perf_counter() - t0:.1f} s)")

        http_p50 = http_sections(folder, jobs, sequential, concurrent, args.clients)
        print(
            f"   ratio HTTP p50 (b) / service p50 (a): {http_p50 / service_p50:.2f}x "
            f"({http_p50 - service_p50:+.3f} ms: WSGI, routing, token check, If-Match, JSON)"
        )
    print(
        "clients are threads of this process on the same machine; every server runs its 1 s ticker "
        "(timers and notifications) as in production"
    )
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
