"""Faults against a real server (this module holds no tests): `xianfeng serve` as a child process on a
database prepared through the services, HTTP clients that complete tasks through the API, `kill -9`
of a worker or of the master, and the checks that end every run (verify clean, every acknowledged
completion in the log, no task completed twice).

Every process killed here was started here, and is killed by its id.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from xianfeng.engine.clock import SystemClock
from xianfeng.engine.config import Settings
from xianfeng.engine.db import Database
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, HumanTask, User
from xianfeng.engine.services import accounts, audit, demo, notifications, setup, tasks
from xianfeng.engine.services.admin.member_fields import MemberDraft
from xianfeng.engine.services.admin.people import create_member

SERVE = "from xianfeng.web.cli import main; main()"
SECRET = "fault-test-secret"
PASSWORD = "demo12345"
SCORES = {"political": 5, "work": 5, "service": 4, "conduct": 5, "discipline": 5}


@dataclass
class Job:
    """One nomination's three member evaluations, in the order a client completes them."""

    instance_id: int
    steps: list[tuple[str, str]] = field(default_factory=list)  # (username, task id)


def new_kernel(url: str, folder: Path) -> Kernel:
    """On the system clock: the server's ticker runs on real time, so deadlines lie in the future."""
    settings = Settings(database_url=url, data_dir=folder)
    return Kernel(settings=settings, db=Database(url), clock=SystemClock())


def prepare(kernel: Kernel, count: int) -> list[Job]:
    """The demo town, then `count` nominations by branch 1's secretary, each of a new member, each
    evaluated by three of the branch's demo members (they have accounts and the demo password)."""
    setup.init(kernel)
    demo.load_demo(kernel)
    admin, secretary = accounts.actor_for(kernel, "admin"), accounts.actor_for(kernel, "secretary1")
    evaluators = _branch_accounts(kernel, exclude="secretary1")
    jobs = []
    for n in range(count):
        draft = MemberDraft(code=f"FAULT-{n:03d}", name=f"容错测试党员{n}", branch_id=1)
        candidate = create_member(kernel, admin, draft)
        chosen = [evaluators[(3 * n + k) % len(evaluators)] for k in range(3)]
        outcome = tasks.start(kernel, secretary, "model_post_creation", _nomination(candidate, chosen))
        jobs.append(Job(outcome.instance_id))
    _fill_steps(kernel, jobs)
    while notifications.dispatch(kernel, batch=1000):  # no backlog for the server's ticker
        pass
    return jobs


def _branch_accounts(kernel: Kernel, exclude: str) -> list[tuple[str, int]]:
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            sa.select(User.username, User.member_id)
            .where(User.branch_id == 1, User.member_id.is_not(None), User.username != exclude)
            .order_by(User.id)
        ).all()
    return [(username, int(member_id)) for username, member_id in rows]


def _nomination(candidate: int, evaluators: list[tuple[str, int]]) -> dict[str, object]:
    return {
        "candidate_member_id": candidate,
        "post_title": "便民服务示范岗",
        "category": "key_post",
        "discussion_date": "2026-11-20",
        "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
        "member_evaluators": [member_id for _username, member_id in evaluators],
        "public_evaluator_count": 5,
    }


def _fill_steps(kernel: Kernel, jobs: list[Job]) -> None:
    by_instance = {job.instance_id: job for job in jobs}
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            sa.select(HumanTask.instance_id, HumanTask.id, User.username)
            .join(User, User.id == HumanTask.assignee_user_id)
            .where(HumanTask.instance_id.in_(by_instance), HumanTask.spec_id == "Task_member_evaluation")
            .order_by(HumanTask.instance_id, HumanTask.mi_index)
        ).all()
    for instance_id, task_id, username in rows:
        by_instance[instance_id].steps.append((username, task_id))
    assert all(len(job.steps) == 3 for job in jobs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`xianfeng serve --workers 2 --threads 2` on the prepared database, restartable on its port."""

    def __init__(self, url: str, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.log = folder / "serve.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("XIANFENG_")}
        self.env.update(DATABASE_URL=url, XIANFENG_DATA_DIR=str(folder), XIANFENG_SECRET_KEY=SECRET)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        command = [
            sys.executable,
            "-c",
            SERVE,
            "serve",
            "--port",
            str(self.port),
            "--workers",
            "2",
            "--threads",
            "2",
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.starts += 1
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"exit {self.process.returncode}:\n{self.tail()}"
            if len(self.workers()) == 2 and self.answers():
                return
            time.sleep(0.1)
        raise AssertionError(f"the server did not come up within 120 s:\n{self.tail()}")

    def answers(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/api/v1/openapi.json")
            ok = connection.getresponse().status == 200
            connection.close()
            return ok
        except OSError:
            return False

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-6000:]

    def workers(self) -> list[int]:
        """The master's child processes, from /proc."""
        assert self.process is not None
        return children_of(self.process.pid)

    def kill_worker(self) -> None:
        """kill -9 one worker; the master forks a new one."""
        victim = self.workers()[0]
        os.kill(victim, signal.SIGKILL)
        _wait(lambda: victim not in self.workers() and len(self.workers()) == 2, 60, "a new worker")

    def kill_master(self) -> None:
        """kill -9 the master; its workers notice their parent is gone and stop, then it is started
        again on the same port (as a supervisor such as systemd would)."""
        assert self.process is not None
        orphans = self.workers()
        self.process.kill()
        self.process.wait()
        _wait(lambda: not any(_alive(pid) for pid in orphans), 30, "the orphaned workers to stop")
        self.start()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        workers = self.workers()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid in workers:  # only ever the workers of the server this test started
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                found.append(int(entry.name))
    return sorted(found)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds:.0f} s for {what}")


class Api:
    """One keep-alive connection; after a dropped connection the next request opens a new one."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body); raises OSError (or http.client's errors) when the answer is lost."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Content-Type": "application/json", **(headers or {})}
        try:
            self.connection.request(method, path, json.dumps(body) if body is not None else None, sent)
            reply = self.connection.getresponse()
            return reply.status, dict(reply.headers), reply.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def tokens_for(port: int, usernames: set[str]) -> dict[str, str]:
    api = Api(port)
    found = {}
    for username in sorted(usernames):
        status, _h, body = api.request(
            "POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD}
        )
        assert status == 200, (username, status, body[:300])
        found[username] = json.loads(body)["token"]
    api.close()
    return found


def completion_counts(kernel: Kernel, task_ids: set[str]) -> dict[str, int]:
    """How many events of the log completed each task (tasks never completed are left out)."""
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            sa.select(Event.task_id, sa.func.count())
            .where(Event.task_id.in_(task_ids), Event.kind == "complete")
            .group_by(Event.task_id)
        ).all()
    return {task_id: int(count) for task_id, count in rows}


def verify_clean(kernel: Kernel) -> None:
    report = audit.verify(kernel)
    assert report.ok, report.problems[:10]


@contextmanager
def served(url: str, folder: Path) -> Iterator[Server]:
    server = Server(url, folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
