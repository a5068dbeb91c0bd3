"""scale_bench.py, real servers: completions per second from 8 clients against `xianfeng serve
--workers 2` on SQLite and on PostgreSQL in the same run, and a worker's memory over a long run.

The SQLite server completes a first window of tasks (its rate is measured, then its workers'
memory), the PostgreSQL server the same window (its rate), and the SQLite server goes on to ten
times as many completions, when its workers' memory is read again. Completions are member
evaluations through POST /api/v1/tasks/{id}/complete with If-Match, as in http_bench.py.
"""

from __future__ import annotations

import time
from pathlib import Path

from http_bench import WARM, WARM_CONNECTIONS, errors_of, warm
from http_support import Job, Server, new_kernel, prepare, run_clients, split, take, tokens_for, usernames_of

from xianfeng.engine.config import SQLITE_CACHE_MB
from xianfeng.engine.services import stats_steps, timers

RATE_TARGET = 1.0  # PostgreSQL / SQLite
MEMORY_TARGET = 1.1  # after the long run / after the first window


def _prepared(folder: Path, jobs: int, url: str = "") -> list[Job]:
    t0 = time.perf_counter()
    kernel = new_kernel(folder, url)
    prepared = prepare(kernel, 2 * WARM * WARM_CONNECTIONS + jobs)
    # What a server's ticker does once after a quiet day, done here: its first round would fold
    # the statistics of every prepared case and publish the chain's head, while the clock runs.
    timers.tick(kernel)
    while stats_steps.catch_up(kernel):
        pass
    kernel.db.dispose()
    where = "PostgreSQL" if url else "SQLite"
    print(f"   ({len(prepared):,} nominations prepared on {where} in {time.perf_counter() - t0:.0f} s)")
    return prepared


def _window(server: Server, tokens: dict[str, str], jobs: list[Job], clients: int) -> float:
    """Completions per second of `jobs` (three each) shared among `clients` keep-alive clients."""
    runs = run_clients([server.port], tokens, split(jobs, clients))
    if errors_of(runs):
        raise RuntimeError(f"refused or failed: {errors_of(runs)[0]}")
    done = sum(len(run.timings) for run in runs)
    return done / (max(run.ended for run in runs) - min(run.started for run in runs))


def worker_rss_mib(server: Server) -> dict[int, float]:
    """Resident memory of each worker process (the gunicorn master's children), from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != server.process.pid:
                continue
            status = (entry / "status").read_text()
        except OSError:
            continue
        rss = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        found[int(entry.name)] = int(rss.split()[1]) / 1024
    return found


def run(folder: Path, postgres_url: str, clients: int, window: int, long_run: int, cache_mb: int = 0) -> None:
    """`window` and `long_run` are completions (three per nomination). Each database completes
    the window in two halves, taken in turns (SQLite, PostgreSQL, SQLite, PostgreSQL), so that
    the shared machine's load falls on both alike."""
    half, rest = window // 6, (long_run - window) // 3
    print(f"c) completions per second, {clients} clients, `xianfeng serve --workers 2` (4 threads each)")
    sqlite_jobs = _prepared(folder / "sqlite", 2 * half + rest)
    pg_jobs = _prepared(folder / "postgres", 2 * half, postgres_url) if postgres_url else []
    log = folder / "servers.log"
    cache = {"XIANFENG_SQLITE_CACHE_MB": str(cache_mb)} if cache_mb else {}
    servers = [Server(folder / "sqlite", workers=2, threads=4, log=log, **cache)]
    if pg_jobs:
        servers.append(Server(folder / "postgres", 2, 4, log, database_url=postgres_url))
    try:
        pairs = list(zip(servers, [sqlite_jobs, pg_jobs], strict=False))
        tokens = [tokens_for(server.port, usernames_of(jobs)) for server, jobs in pairs]
        for (server, jobs), keys in zip(pairs, tokens, strict=True):
            warm([server], keys, jobs)
        rates: list[list[float]] = [[] for _ in servers]
        for _round in range(2):
            for n, (server, jobs) in enumerate(pairs):
                rates[n].append(_window(server, tokens[n], take(jobs, half), clients))
        after_window = worker_rss_mib(servers[0])
        if len(servers) > 1:
            servers[1].stop()
        _rates(rates, 6 * half)
        _long_run(servers[0], tokens[0], sqlite_jobs, clients, after_window, 6 * half, cache_mb)
    finally:
        for server in servers:
            server.stop()


def _rates(rates: list[list[float]], completions: int) -> None:
    names = ("SQLite    ", "PostgreSQL")
    for name, halves in zip(names, rates, strict=False):
        shown = ", ".join(f"{rate:.1f}" for rate in halves)
        print(
            f"   {name} : {sum(halves) / 2:7.1f} completions/s ({shown} in the two halves of {completions:,})"
        )
    if len(rates) < 2:
        print("   PostgreSQL : not reachable, left out")
        return
    ratio = sum(rates[1]) / sum(rates[0])
    verdict = "OK" if ratio >= RATE_TARGET else "MISSED"
    print(f"   PostgreSQL / SQLite {ratio:.2f}x  target >= {RATE_TARGET:g}x  {verdict}")


def _long_run(
    server: Server,
    tokens: dict[str, str],
    jobs: list[Job],
    clients: int,
    after_window: dict[int, float],
    window_done: int,
    cache_mb: int,
) -> None:
    taken = take(jobs, len(jobs))
    rate = _window(server, tokens, taken, clients)
    done = window_done + 3 * len(taken)
    after_long = worker_rss_mib(server)
    cache = (
        f"XIANFENG_SQLITE_CACHE_MB={cache_mb}"
        if cache_mb
        else f"XIANFENG_SQLITE_CACHE_MB unset: {SQLITE_CACHE_MB}"
    )
    print(f"d) worker memory, SQLite server ({cache}), {clients} clients:")
    worst = 0.0
    for pid in sorted(after_window):
        before, after = after_window[pid], after_long.get(pid, float("nan"))
        worst = max(worst, after / before)
        print(f"   worker {pid}: {before:6.1f} MiB after {window_done:,}, {after:6.1f} MiB after {done:,}")
    verdict = "OK" if worst <= MEMORY_TARGET else "MISSED"
    print(f"   ratio {worst:.2f}x (the larger of the two workers)  target <= {MEMORY_TARGET:g}x  {verdict}")
    print(f"   ({rate:.1f} completions/s over the long run)")
