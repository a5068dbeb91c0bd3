"""What a completion costs through HTTP, compared with the service layer it calls.

Prints, in one run on the same machine and the same kind of step (a member's evaluation of a
nominee, `Task_member_evaluation`, in instances with 3 members and 5 villagers):
  a) tasks.complete called in-process (as step_bench.py section a, member evaluations only);
  b) the same completion through the REST API, POST /api/v1/tasks/{id}/complete with If-Match and
     a bearer token, one client on one keep-alive connection, against `xianfeng serve --workers 2`
     (waitress: one process, 2 threads) in a child process; SQLite WAL, synchronous=FULL;
  c) 8 concurrent clients (threads of this process, one keep-alive connection each):
     c1) against that server: one process with 2 worker threads (what `--workers 2` means here);
     c2) against two `xianfeng serve --workers 1` processes on the same database, each on its own
         port, clients split between them (what "2 workers" means for gunicorn-style servers).
Targets (from the issue): b p50 <= 2.4 ms; c >= 330 completions/s. Not a test: it measures and
prints, and says OK or MISSED for each target.

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
    complete_in_process,
    new_kernel,
    prepare,
    run_clients,
    split,
    take,
    tokens_for,
    usernames_of,
)

P50_TARGET_MS = 2.4
RATE_TARGET = 330.0
PEER = "SpiffArena on this machine (from the issue, not measured here): p50 24 ms, 33 completions/s"
WARM = 2  # instances completed before timing, per server process (first requests parse diagrams)


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
    timings = complete_in_process(kernel, jobs)
    kernel.db.dispose()
    count = len(timings)
    print(f"a) service layer: tasks.complete in-process ({count} member evaluations, {instances} instances)")
    print(f"   p50 {p50_ms(timings):7.3f} ms   p95 {p95_ms(timings):7.3f} ms")
    return p50_ms(timings)


def warm(servers: list[Server], tokens: dict[str, str], jobs: list[Job]) -> None:
    for server in servers:
        runs = run_clients([server.port], tokens, [take(jobs, WARM)])
        if errors_of(runs):
            raise RuntimeError(f"warm-up failed: {errors_of(runs)[0]}")
    time.sleep(1.5)  # let each server's ticker run once outside the timed window


def section_b(servers: list[Server], tokens: dict[str, str], jobs: list[Job], instances: int) -> float:
    (run,) = run_clients([servers[0].port], tokens, [take(jobs, instances)])
    done = len(run.timings) - len(run.errors)
    print(
        f"b) HTTP, one client, sequential: POST /api/v1/tasks/{{id}}/complete + If-Match on one keep-alive\n"
        f"   connection; `xianfeng serve --workers 2` (1 process, 2 threads); {done} completions"
    )
    report_errors([run])
    rate = done / (run.ended - run.started)
    at_most("   p50 ", p50_ms(run.timings), P50_TARGET_MS, "ms")
    print(f"   p95 {p95_ms(run.timings):8.3f} ms   {rate:.1f} completions/s")
    return p50_ms(run.timings)


def section_c(
    label: str, servers: list[Server], tokens: dict[str, str], jobs: list[Job], clients: int
) -> None:
    runs = run_clients([s.port for s in servers], tokens, split(jobs, clients))
    timings = [t for run in runs for t in run.timings]
    done = len(timings) - len(errors_of(runs))
    wall = max(run.ended for run in runs) - min(run.started for run in runs)
    print(f"{label}; {clients} clients, {done} completions in {wall:.2f} s")
    report_errors(runs)
    print(f"   p50 {p50_ms(timings):8.3f} ms   p95 {p95_ms(timings):8.3f} ms")
    at_least("   throughput ", done / wall, RATE_TARGET, "completions/s")


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
        jobs = prepare(kernel, WARM * 3 + sequential + 2 * concurrent)
        kernel.db.dispose()
        print(f"   (prepared {len(jobs)} instances for the HTTP runs in {time.perf_counter() - t0:.1f} s)")

        log = folder / "server.log"
        servers = [Server(data, workers=2, log=log)]
        try:
            tokens = tokens_for(servers[0].port, usernames_of(jobs))
            warm(servers, tokens, jobs)
            http_p50 = section_b(servers, tokens, jobs, sequential)
            print(
                f"   ratio HTTP p50 / service p50: {http_p50 / service_p50:.2f}x "
                f"({http_p50 - service_p50:+.3f} ms: WSGI, routing, token check, If-Match, JSON)"
            )
            section_c(
                "c1) HTTP, concurrent: `xianfeng serve --workers 2` = 1 waitress process with 2 threads",
                servers,
                tokens,
                take(jobs, concurrent),
                args.clients,
            )
        finally:
            for server in servers:
                server.stop()

        servers.clear()
        try:
            for _ in range(2):
                servers.append(Server(data, workers=1, log=log))
            warm(servers, tokens, jobs)
            section_c(
                "c2) HTTP, concurrent: 2 processes of `xianfeng serve --workers 1` (own port each, clients\n"
                "    alternate between them), one SQLite file",
                servers,
                tokens,
                take(jobs, concurrent),
                args.clients,
            )
        finally:
            for server in servers:
                server.stop()
    print(
        "clients are threads of this process on the same machine; every server runs its 1 s ticker "
        "(timers and notifications) as in production"
    )
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
