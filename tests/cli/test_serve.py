"""`xianfeng serve`: gunicorn worker processes that answer the API, each with a ticker that hands the
outbox to the delivery adapter without cron, and a clean stop on SIGTERM."""

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
from pathlib import Path

import pytest
import sqlalchemy as sa

SERVE = "from xianfeng.web.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    def __init__(self, folder: Path, process: subprocess.Popen[bytes], port: int) -> None:
        self.folder, self.process, self.port = folder, process, port

    def request(self, method: str, path: str, body: object = None, token: str = "") -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        reply = connection.getresponse()
        payload = reply.read()
        connection.close()
        return reply.status, json.loads(payload) if payload.startswith(b"{") or payload.startswith(
            b"["
        ) else {}

    def sql(self, statement: str) -> list[tuple]:
        engine = sa.create_engine(f"sqlite:///{self.folder / 'xianfeng.sqlite3'}")
        with engine.connect() as connection:
            rows = [tuple(row) for row in connection.execute(sa.text(statement))]
        engine.dispose()
        return rows

    def workers(self) -> list[int]:
        """Child processes of the gunicorn master, read from /proc."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found


def _run(folder: Path, *args: str) -> None:
    command = [sys.executable, "-c", SERVE, *args]
    done = subprocess.run(command, check=False, env=_env(folder), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        XIANFENG_DATA_DIR=str(folder),
        XIANFENG_SQLITE_SYNCHRONOUS="NORMAL",
        XIANFENG_TICK_INTERVAL="0.2",
        XIANFENG_SECRET_KEY="serve-test-secret",
    )
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    _run(folder, "init")
    _run(folder, "demo")
    port = _free_port()
    log = (folder / "serve.log").open("wb")
    command = [sys.executable, "-c", SERVE, "serve", "--port", str(port), "--workers", "2", "--threads", "2"]
    process = subprocess.Popen(command, env=_env(folder), stdout=log, stderr=subprocess.STDOUT)
    served = Served(folder, process, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, (folder / "serve.log").read_text()
        try:
            if served.request("GET", "/api/v1/openapi.json")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    yield served
    if process.poll() is None:
        process.kill()
        process.wait()
    log.close()


def test_serve_runs_two_worker_processes_that_answer_the_api(served: Served) -> None:
    deadline = time.monotonic() + 20  # the first worker may answer before the second has booted
    while len(served.workers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(served.workers()) == 2
    deployed = served.sql("select count(*) from process_definition")[0][0]
    log = (served.folder / "serve.log").read_text()
    assert f"loaded {deployed} process versions before starting the workers" in log
    status, body = served.request(
        "POST", "/api/v1/auth/token", {"username": "member1", "password": "demo12345"}
    )
    assert status == 200
    status, tasks = served.request("GET", "/api/v1/tasks", token=body["token"])
    assert status == 200 and tasks == []
    status, error = served.request("GET", "/api/v1/tasks", token="forged")
    assert status == 401 and error["code"] == "not_authenticated"


def test_the_workers_tickers_deliver_the_outbox_without_cron(served: Served) -> None:
    status, body = served.request(
        "POST", "/api/v1/auth/token", {"username": "secretary1", "password": "demo12345"}
    )
    assert status == 200
    members = dict(served.sql("select username, member_id from app_user where username like 'member%'"))
    data = {
        "candidate_member_id": members["member1"],
        "post_title": "便民服务示范岗",
        "category": "key_post",
        "discussion_date": "2026-11-20",
        "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
        "member_evaluators": [members["member2"], members["member3"], members["member4"]],
        "public_evaluator_count": 5,
    }
    status, started = served.request(
        "POST", "/api/v1/processes/model_post_creation/instances", {"data": data}, token=body["token"]
    )
    assert status == 201, started
    instance = started["instance_id"]
    waiting = f"select count(*) from notification where instance_id = {instance}"
    assert served.sql(waiting)[0][0] >= 3  # the three evaluators were told, in the step's transaction
    deadline = time.monotonic() + 10
    unsent = f"{waiting} and sent_at is null"
    while served.sql(unsent)[0][0] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert served.sql(unsent)[0][0] == 0


def test_sigterm_stops_the_master_and_its_workers(served: Served) -> None:
    workers = served.workers()
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_serve_refuses_a_database_not_initialised_and_says_what_to_do(tmp_path: Path) -> None:
    command = [sys.executable, "-c", SERVE, "serve", "--port", str(_free_port())]
    done = subprocess.run(command, check=False, env=_env(tmp_path), capture_output=True, timeout=60)
    assert done.returncode == 2
    assert "error (database_not_ready)" in done.stderr.decode()
    assert "run `xianfeng init` first" in done.stderr.decode()
