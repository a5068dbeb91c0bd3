"""Scale to a county (issue 14), in one run on this machine:
  a) the inbox at 100 vs 20,000 open tasks: the first page and the counts, for a branch secretary
     and for the committee, through the service, the API (GET /api/v1/tasks) and the page (GET
     /inbox, with the navigation counts); and the ticker's reminder check. Target: ratio <= 1.5.
  b) N nominations (2,000) started at one moment and waiting at one evaluation deadline: one tick
     fires them; target: the last fired <= 5 s after the deadline; where the time goes; verify
     replays the log it wrote (events per second with replay, target >= 2,000);
  b') the same on PostgreSQL with two ticker processes claiming disjoint batches (SKIP LOCKED);
  c) completions per second from 8 clients against `xianfeng serve --workers 2`, PostgreSQL vs
     SQLite; target >= 1x;
  d) a SQLite server's worker memory after 10,000 completions vs after 1,000; target <= 1.1x;
  e) verify with replay, as verify_bench.py measures it on a database of 10,000 events from walked
     nominations: every case replayed from its first event (`verify --full`, section c there), then
     the next verify after a tenth more events, from the checkpoints the first kept (section e
     there); target >= 2,000 events/s.
Not a test: it measures and prints, and says OK or MISSED for each target. The machine is shared;
ratios are measured within one run. PostgreSQL is XIANFENG_TEST_POSTGRES_URL (private schemas,
dropped afterwards), left out when not reachable.

    python bench/scale_bench.py [--quick] [--only inbox|burst|http|verify] [--burst 2000]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_burst
import scale_http
import scale_walks
import verify_bench
from bench_support import START, new_kernel
from flask.testing import FlaskClient
from scale_support import fill_open_tasks, postgres_reachable, postgres_schema

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import accounts, audit, inbox, inbox_paging, reminders
from xianfeng.engine.services.inbox_query import PAGE_SIZE, PageAsk, TodoFilters
from xianfeng.web import create_app

POSTGRES = os.environ.get("XIANFENG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RATIO_TARGET = 1.5
SIZES = (100, 20_000)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


def signed_in(kernel: Kernel, username: str) -> tuple[FlaskClient, dict[str, str]]:
    """A page client signed in, and API headers with a token, for `username`."""
    client = create_app(kernel, testing=True).test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token is not None
    form = {"username": username, "password": "demo12345", "csrf_token": token.group(1)}
    assert client.post("/login", data=form).status_code == 302
    issued = client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"})
    return client, {"Authorization": f"Bearer {issued.get_json()['token']}"}


def interleaved(actions: dict[int, Callable[[], Any]], rounds: int) -> dict[int, float]:
    """Median milliseconds of each action, run in turns so that the machine's load falls alike."""
    times: dict[int, list[float]] = {size: [] for size in actions}
    for _ in range(rounds):
        for size, action in actions.items():
            t0 = time.perf_counter()
            action()
            times[size].append(time.perf_counter() - t0)
    return {size: 1000 * statistics.median(values) for size, values in times.items()}


def ratio_line(label: str, medians: dict[int, float], target: float | None = RATIO_TARGET) -> None:
    small, large = (medians[size] for size in SIZES)
    ratio = large / small
    verdict = f"  target <= {target:g}  {'OK' if ratio <= target else 'MISSED'}" if target else ""
    print(f"   {label:<44}{small:8.2f} ms {large:8.2f} ms  {ratio:5.2f}x{verdict}")


def inbox_section(folder: Path, rounds: int) -> None:
    kernels = {}
    for size in SIZES:
        kernel = new_kernel(folder / f"inbox-{size}.sqlite3")
        held = fill_open_tasks(kernel, size)
        kernels[size] = kernel
        print(f"   ({held:,} open tasks in the {size:,} database)")
    print(f"a) the inbox at {SIZES[0]:,} vs {SIZES[1]:,} open tasks (SQLite; medians of {rounds}, in turns)")
    print(f"   {'':<44}{SIZES[0]:>8,} {'':>2}{SIZES[1]:>8,}")
    for username in ("secretary1", "committee"):
        who = {size: accounts.actor_for(kernel, username) for size, kernel in kernels.items()}
        sees = {size: inbox.counts(kernel, who[size])["todo"] for size, kernel in kernels.items()}
        print(f"   {username} may act on {sees[SIZES[0]]:,} vs {sees[SIZES[1]]:,} tasks ({PAGE_SIZE} a page)")
        service = {
            size: (
                lambda k=kernel, a=who[size]: (
                    inbox_paging.todo_page(k, a, TodoFilters(), PageAsk()),
                    inbox.counts(k, a),
                )
            )
            for size, kernel in kernels.items()
        }
        ratio_line("first page + nav counts (service)", interleaved(service, rounds), None)
        clients = {size: signed_in(kernel, username) for size, kernel in kernels.items()}
        api = {size: (lambda c=c: c[0].get("/api/v1/tasks", headers=c[1])) for size, c in clients.items()}
        ratio_line("GET /api/v1/tasks (a page, with its total)", interleaved(api, rounds))
        page = {size: (lambda c=c: c[0].get("/inbox")) for size, c in clients.items()}
        ratio_line("GET /inbox (a page, nav counts, filters)", interleaved(page, rounds))
    check = {size: (lambda k=kernel: reminders.run(k, START)) for size, kernel in kernels.items()}
    ratio_line("the ticker's reminder check (nothing due)", interleaved(check, rounds), None)
    for kernel in kernels.values():
        kernel.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the burst and of the long run")
    parser.add_argument("--only", choices=("inbox", "burst", "http", "verify"), default=None)
    parser.add_argument("--burst", type=int, default=None, help="nominations sharing the deadline")
    parser.add_argument("--cache-mb", type=int, default=0, help="XIANFENG_SQLITE_CACHE_MB for the servers")
    args = parser.parse_args()
    burst = args.burst or (200 if args.quick else 2000)
    window, long_run = (300, 3000) if args.quick else (1000, 10_000)
    postgres = POSTGRES if postgres_reachable(POSTGRES) else ""
    print(f"Python {platform.python_version()} | {platform.platform()} | {os.cpu_count()} CPUs")
    print(f"before: {load()}; PostgreSQL: {'reachable' if postgres else 'not reachable, left out'}")
    with tempfile.TemporaryDirectory(prefix="xianfeng-scale-bench-") as tmp:
        folder = Path(tmp)
        if args.only in (None, "inbox"):
            inbox_section(folder, rounds=15 if args.quick else 40)
        if args.only in (None, "burst"):
            scale_burst.sqlite(folder, burst)
            if postgres:
                with postgres_schema(postgres) as url:
                    scale_burst.postgres(url, folder, burst)
        if args.only in (None, "http"):
            if postgres:
                with postgres_schema(postgres) as url:
                    scale_http.run(folder, url, 8, window, long_run, args.cache_mb)
            else:
                scale_http.run(folder, "", 8, window, long_run, args.cache_mb)
        if args.only in (None, "verify"):
            verify_section(folder, 2000 if args.quick else 10_000)
    print(f"after: {load()}")


def verify_section(folder: Path, events: int) -> None:
    """verify_bench.py's sections c and e, on walked nominations."""
    print(f"e) verify with replay (verify_bench.py's way, {events:,} events from walked nominations)")
    path = folder / "verify.sqlite3"
    kernel = scale_walks.fill(path, events)
    total = verify_bench.count_events(kernel)
    wall, _cpu = verify_bench.timed(lambda: audit.verify(kernel, checkpointed=False), 1)
    print(f"   verify --full: {total / wall:8,.0f} events/s ({total:,} events in {wall:.1f} s)")
    kernel.db.dispose()
    verify_bench.again(path)


if __name__ == "__main__":
    main()
