"""Helpers for http_bench.py: a kernel on real time, instances prepared through the service layer,
`xianfeng serve` started as a child process, and a keep-alive HTTP client that completes tasks
through the REST API.

The prepared instances are creation procedures waiting for their three member evaluations. Each
one is completed three times in a row: the ETag of the next completion is the version the previous
one answered with, so the timed loop needs no extra request and no two clients share an instance.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_support import EXTRA_MEMBERS, GOOD, _add_members

from xianfeng.engine.actor import Actor
from xianfeng.engine.clock import SystemClock
from xianfeng.engine.config import Settings
from xianfeng.engine.db import Database
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import HumanTask, Member, User
from xianfeng.engine.services import accounts, chain, demo, notifications, setup, tasks

SECRET = "http-bench-secret-not-for-production"
PASSWORDS = {"bench": "bench-password"}  # username prefix → password; demo accounts use demo12345
SERVE = "from xianfeng.web.cli import main; main()"


@dataclass
class Job:
    """One instance and its three member evaluations, in the order they are completed."""

    instance_id: int
    version: int
    steps: list[tuple[str, str]]  # (username, task id)


@dataclass
class Run:
    timings: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0


def new_kernel(folder: Path, database_url: str = "") -> Kernel:
    """The demo town plus 40 members in branch 1, on SQLite WAL with synchronous=FULL (or on the
    PostgreSQL database given) and the system clock (the server's ticker runs on real time:
    deadlines must lie in the real future)."""
    folder.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{folder / 'xianfeng.sqlite3'}"
    settings = Settings(database_url=url, data_dir=folder, sqlite_synchronous="FULL")
    kernel = Kernel(settings=settings, db=Database(url, "FULL"), clock=SystemClock())
    setup.init(kernel)
    demo.load_demo(kernel)
    _add_members(kernel)
    return kernel


def branch_members(kernel: Kernel) -> list[Actor]:
    with kernel.db.unit_of_work(write=False) as uow:
        rows = (
            uow.session.execute(
                sa.select(User).where(User.branch_id == 1, User.member_id.is_not(None)).order_by(User.id)
            )
            .scalars()
            .all()
        )
        return [accounts.actor_of(u) for u in rows if u.username != "secretary1"]


def add_candidates(kernel: Kernel, count: int) -> list[int]:
    """`count` new members of branch 1 to be nominated, in one chained event: a member may have one
    nomination running at a time, so each prepared nomination needs its own nominee (they never
    sign in, so they need no account)."""
    with kernel.db.unit_of_work() as uow:
        first = int(uow.session.execute(sa.select(sa.func.count()).select_from(Member)).scalar_one())
        added = [
            Member(code=f"HTTP-BENCH-{first + n}", branch_id=1, name=f"候选党员{first + n}", status="active")
            for n in range(count)
        ]
        uow.session.add_all(added)
        uow.session.flush()
        chain.record(uow.session, kernel, None, "org", {"action": "bench candidates", "count": count})
        uow.commit()
        return [member.id for member in added]


def prepare(kernel: Kernel, count: int) -> list[Job]:
    """Start `count` nominations (3 members + 5 villagers each), each of a new member, spreading
    the evaluators over the branch's members; then hand the notifications they made to the log
    adapter so that the server's ticker does not meet a backlog no real day would produce."""
    secretary = accounts.actor_for(kernel, "secretary1")
    members = branch_members(kernel)
    assert len(members) >= 10 + EXTRA_MEMBERS
    by_id = {m.user_id: m.username for m in members}
    candidates = add_candidates(kernel, count)
    started: dict[int, int] = {}
    for n in range(count):
        chosen = [members[(3 * n + k) % len(members)] for k in (0, 1, 2)]
        outcome = tasks.start(
            kernel,
            secretary,
            "model_post_creation",
            {
                "candidate_member_id": candidates[n],
                "post_title": "便民服务示范岗",
                "category": "key_post",
                "discussion_date": "2026-11-20",
                "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
                "member_evaluators": [m.member_id for m in chosen],
                "public_evaluator_count": 5,
            },
        )
        started[outcome.instance_id] = outcome.version
    jobs = {i: Job(i, version, []) for i, version in started.items()}
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            sa.select(HumanTask.instance_id, HumanTask.id, HumanTask.assignee_user_id)
            .where(HumanTask.spec_id == "Task_member_evaluation", HumanTask.instance_id.in_(started))
            .order_by(HumanTask.instance_id, HumanTask.mi_index)
        ).all()
    for instance_id, task_id, user_id in rows:
        jobs[instance_id].steps.append((by_id[user_id], task_id))
    assert all(len(job.steps) == 3 for job in jobs.values())
    while notifications.dispatch(kernel, batch=1000):
        pass
    return list(jobs.values())


def complete_in_process(kernel: Kernel, jobs: list[Job]) -> list[float]:
    """(a) tasks.complete called directly, timed around the call."""
    actors: dict[str, Actor] = {}
    timings = []
    for job in jobs:
        version = job.version
        for username, task_id in job.steps:
            who = actors.get(username) or actors.setdefault(username, accounts.actor_for(kernel, username))
            t0 = time.perf_counter()
            outcome = tasks.complete(kernel, who, task_id, dict(GOOD), expected_version=version)
            timings.append(time.perf_counter() - t0)
            version = outcome.version
    return timings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`xianfeng serve --workers N --threads T` in a child process on the prepared data folder (its
    SQLite file, or the PostgreSQL database given)."""

    def __init__(
        self, data_dir: Path, workers: int, threads: int, log: Path, database_url: str = "", **env_extra: str
    ) -> None:
        self.port = free_port()
        self.workers = workers
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            XIANFENG_DATA_DIR=str(data_dir),
            XIANFENG_SQLITE_SYNCHRONOUS="FULL",
            XIANFENG_SECRET_KEY=SECRET,
            **env_extra,
        )
        if database_url:
            env["DATABASE_URL"] = database_url
        command = [sys.executable, "-c", SERVE, "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(workers), "--threads", str(threads)]
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-2000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def tokens_for(port: int, usernames: set[str]) -> dict[str, str]:
    """Bearer tokens, fetched once per account before anything is timed."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    found = {}
    for username in sorted(usernames):
        password = next((p for prefix, p in PASSWORDS.items() if username.startswith(prefix)), "demo12345")
        body = json.dumps({"username": username, "password": password})
        client.request("POST", "/api/v1/auth/token", body, {"Content-Type": "application/json"})
        reply = client.getresponse()
        payload = reply.read()
        if reply.status != 200:
            raise RuntimeError(f"token for {username}: {reply.status} {payload[:200]!r}")
        found[username] = json.loads(payload)["token"]
    client.close()
    return found


class Client:
    """One keep-alive connection completing tasks through POST /api/v1/tasks/{id}/complete."""

    BODY = json.dumps({"data": GOOD}).encode()

    def __init__(self, port: int, tokens: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.tokens = tokens

    def run(self, jobs: list[Job], out: Run) -> None:
        for job in jobs:
            version = job.version
            for username, task_id in job.steps:
                headers = {
                    "Authorization": f"Bearer {self.tokens[username]}",
                    "If-Match": f'"{job.instance_id}-{version}"',
                    "Content-Type": "application/json",
                }
                t0 = time.perf_counter()
                self.connection.request("POST", f"/api/v1/tasks/{task_id}/complete", self.BODY, headers)
                reply = self.connection.getresponse()
                payload = reply.read()
                out.timings.append(time.perf_counter() - t0)
                if reply.status != 200:
                    out.errors.append(f"{reply.status} {payload[:160].decode(errors='replace')}")
                    break  # the instance cannot go on from a refused step
                version = json.loads(payload)["version"]

    def close(self) -> None:
        self.connection.close()


def round_trips(port: int, path: str, count: int) -> list[float]:
    """GET `path` `count` times on one keep-alive connection, timed as a completion is: what any
    request costs (client, loopback, gunicorn, Flask's routing and error page) before its work."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings = []
    for _ in range(count):
        t0 = time.perf_counter()
        connection.request("GET", path)
        reply = connection.getresponse()
        reply.read()
        timings.append(time.perf_counter() - t0)
    connection.close()
    return timings


class StepParts:
    """Time spent, during in-process completions, in SpiffWorkflow's part of a step (restore, run,
    dump, projections: `runtime.run_step`) and in SQLite's commit (the DBAPI call, with its fsync)."""

    def __init__(self) -> None:
        self.engine = 0.0
        self.commit = 0.0

    @contextmanager
    def watching(self) -> Iterator[None]:
        from sqlalchemy.engine.default import DefaultDialect

        from xianfeng.engine.services import steps

        real_step, real_commit = steps.run_step, DefaultDialect.do_commit

        def timed_step(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return real_step(*args, **kwargs)
            finally:
                self.engine += time.perf_counter() - t0

        def timed_commit(dialect: Any, connection: Any) -> None:
            t0 = time.perf_counter()
            try:
                real_commit(dialect, connection)
            finally:
                self.commit += time.perf_counter() - t0

        steps.run_step = timed_step
        DefaultDialect.do_commit = timed_commit
        try:
            yield
        finally:
            steps.run_step = real_step
            DefaultDialect.do_commit = real_commit


def run_clients(ports: list[int], tokens: dict[str, str], shares: list[list[Job]]) -> list[Run]:
    """One thread and one connection per share, client i on ports[i % len(ports)]; all start
    together. Returns each client's timings and errors with its start and end."""
    clients = [Client(ports[i % len(ports)], tokens) for i in range(len(shares))]
    runs = [Run() for _ in shares]
    gate = threading.Barrier(len(shares))

    def work(i: int) -> None:
        gate.wait()
        runs[i].started = time.perf_counter()
        try:
            clients[i].run(shares[i], runs[i])
        except Exception as exc:  # a dropped connection is a result to report, not a crash
            runs[i].errors.append(f"{type(exc).__name__}: {exc}")
        runs[i].ended = time.perf_counter()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(shares))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    return runs


def usernames_of(jobs: list[Job]) -> set[str]:
    return {username for job in jobs for username, _ in job.steps}


def split(jobs: list[Job], parts: int) -> list[list[Job]]:
    return [jobs[i::parts] for i in range(parts)]


def take(jobs: list[Job], count: int) -> list[Job]:
    """The next `count` prepared jobs, removed from the list."""
    taken = jobs[:count]
    del jobs[:count]
    return taken
