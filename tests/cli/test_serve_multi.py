"""Two `xianfeng serve` processes on different ports against one PostgreSQL database, as a county runs
several application servers behind nginx: with evaluation deadlines due, a scheduled assessment
due and notifications waiting when they start, their four tickers fire each timer once, start the
occurrence once and deliver each notification once; both answer the API; the log verifies."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from delivery_support import Webhook, free_port, webhook_server
from support import CreationWalk, establish_post, make_kernel, postgres_schema, postgres_unreachable

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import (
    Event,
    Notification,
    NotificationDelivery,
    ProcessInstance,
    ScheduleRun,
    TimerRow,
)
from xianfeng.engine.services import audit

SERVE = "from xianfeng.web.cli import main; main()"
PREPARED_AT = dt.datetime(2026, 5, 6, 9, tzinfo=CHINA_TZ)  # before the assessment cycle's 1 July
NOMINEES = ("member5", "member6", "member7", "member8", "member9", "member10")


def _env(url: str, folder: Path, hook: Webhook) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIANFENG_NOTIFY")}
    env.update(
        DATABASE_URL=url,
        XIANFENG_DATA_DIR=str(folder),
        XIANFENG_TICK_INTERVAL="0.2",
        XIANFENG_SECRET_KEY="two-servers-one-database",
        XIANFENG_NOTIFY_URLS=f"json://127.0.0.1:{hook.port}/robot/{{username}}",
    )
    return env


def _run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVE, *args], check=False, env=env, capture_output=True, timeout=180
    )
    assert done.returncode == 0, done.stderr.decode()


def _prepare(url: str, folder: Path) -> Kernel:
    """Back in May: a post established (the assessment cycle will start one case for it), then six
    nominations whose evaluation deadlines, ten working days on, are long past by now; the outbox
    keeps every notification they made, undelivered."""
    kernel = make_kernel(url, str(folder), PREPARED_AT)
    establish_post(kernel)
    for nominee in NOMINEES:
        CreationWalk(kernel, candidate=nominee).start()
    return kernel


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url, webhook_server() as hook:
        folders = [tmp_path_factory.mktemp(f"server{n}") for n in (1, 2)]
        _run(_env(url, folders[0], hook), "init")
        _run(_env(url, folders[0], hook), "demo")
        kernel = _prepare(url, folders[0])
        servers = []
        for folder in folders:
            port = free_port()
            log = (folder / "serve.log").open("wb")
            command = [sys.executable, "-c", SERVE, "serve", "--port", str(port), "--workers", "2"]
            process = subprocess.Popen(
                command, env=_env(url, folder, hook), stdout=log, stderr=subprocess.STDOUT
            )
            servers.append((process, port, log))
        try:
            for process, port, _log in servers:
                _wait_answering(process, port)
            _wait_until_quiet(kernel, hook)
            answers = [_tasks_of(port, "member2") for _process, port, _log in servers]
            yield County(kernel, hook, [Path(log.name) for _p, _port, log in servers], answers)
        finally:
            for process, _port, log in servers:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                log.close()
            kernel.db.dispose()


@dataclass
class County:
    kernel: Kernel
    hook: Webhook
    logs: list[Path]
    answers: list[tuple[int, str]]  # each server's answer to member2's GET /api/v1/tasks: status, total


def _tasks_of(port: int, username: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": username, "password": "demo12345"})
    connection.request("POST", "/api/v1/auth/token", body, {"Content-Type": "application/json"})
    token = json.loads(connection.getresponse().read())["token"]
    connection.request("GET", "/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    reply = connection.getresponse()
    reply.read()
    connection.close()
    return reply.status, reply.headers.get("X-Total-Count", "")


def _wait_answering(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, "a server exited"
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/v1/openapi.json")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the server on port {port} did not answer")


def _scalar(kernel: Kernel, statement: sa.Select[tuple[int]]) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(statement).scalar_one())


def _wait_until_quiet(kernel: Kernel, hook: Webhook) -> None:
    """Until no timer is due, the occurrence is recorded, no notification waits and the webhook
    has heard nothing new for two seconds."""
    now = dt.datetime.now(dt.UTC)
    due = sa.select(sa.func.count()).select_from(TimerRow).where(TimerRow.due_at < now)
    unsent = sa.select(sa.func.count()).select_from(Notification).where(Notification.sent_at.is_(None))
    pending = (
        sa.select(sa.func.count())
        .select_from(NotificationDelivery)
        .where(NotificationDelivery.status == "pending")
    )
    runs = (
        sa.select(sa.func.count())
        .select_from(ScheduleRun)
        .where(ScheduleRun.process_key == "periodic_assessment")
    )
    deadline, heard, still = time.monotonic() + 180, -1, 0.0
    while time.monotonic() < deadline:
        busy = _scalar(kernel, due) + _scalar(kernel, unsent) + _scalar(kernel, pending)
        if busy == 0 and _scalar(kernel, runs) and len(hook.received) == heard:
            if time.monotonic() - still >= 2:
                return
        else:
            heard, still = len(hook.received), time.monotonic()
        time.sleep(0.2)
    raise AssertionError("the servers did not finish what was due within three minutes")


def test_each_due_timer_fired_exactly_once_across_both_servers(county: County) -> None:
    kernel = county.kernel
    with kernel.db.unit_of_work(write=False) as uow:
        nominations = list(
            uow.session.execute(
                sa.select(ProcessInstance.id).where(
                    ProcessInstance.process_key == "model_post_creation",
                    ProcessInstance.started_at > PREPARED_AT,
                )
            ).scalars()
        )
        ticks = dict(
            uow.session.execute(
                sa.select(Event.instance_id, sa.func.count())
                .where(Event.kind == "tick", Event.instance_id.in_(nominations))
                .group_by(Event.instance_id)
            ).all()
        )
    assert len(nominations) == len(NOMINEES)
    assert ticks == {instance_id: 1 for instance_id in nominations}


def test_the_due_occurrence_started_its_assessment_once(county: County) -> None:
    kernel = county.kernel
    with kernel.db.unit_of_work(write=False) as uow:
        assessments = uow.session.execute(
            sa.select(ProcessInstance.business_key).where(
                ProcessInstance.process_key == "periodic_assessment"
            )
        ).all()
        runs = uow.session.execute(
            sa.select(ScheduleRun.occurrence_at).where(ScheduleRun.process_key == "periodic_assessment")
        ).all()
    assert len(assessments) == 1 and len(runs) == 1


def test_every_notification_was_delivered_once(county: County) -> None:
    kernel, hook = county.kernel, county.hook
    with kernel.db.unit_of_work(write=False) as uow:
        notified = uow.session.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one()
        per_notification = uow.session.execute(
            sa.select(
                NotificationDelivery.notification_id,
                sa.func.count(),
                sa.func.min(NotificationDelivery.status),
            ).group_by(NotificationDelivery.notification_id)
        ).all()
    assert notified > len(NOMINEES) * 3  # the evaluators of each nomination, and what the deadlines told
    assert len(per_notification) == notified
    assert {(count, status) for _id, count, status in per_notification} == {(1, "sent")}
    assert len(hook.received) == notified  # the robot heard each notification once


def test_both_servers_answered_and_the_log_verifies(county: County) -> None:
    assert county.answers[0] == county.answers[1] and county.answers[0][0] == 200  # one database
    for log in county.logs:
        text = log.read_text(errors="replace")
        assert "Traceback" not in text and "tick failed" not in text, text[-3000:]
    report = audit.verify(county.kernel)
    assert report.ok, report.problems[:5]
