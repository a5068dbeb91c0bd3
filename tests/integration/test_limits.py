"""Limits shared by every worker and server (issue 12, finding 5): two apps on two kernels over the
same database stand for two gunicorn workers or two servers; each limit counts their hits together,
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import START, CreationWalk, make_kernel

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import limits, notices
from xianfeng.web import create_app

ADDRESS = {"REMOTE_ADDR": "192.0.2.7"}
OBJECTION = "请核实该同志近期的工作表现情况。"


@pytest.fixture
def second(backend: Kernel, tmp_path: Path) -> Iterator[Kernel]:
    """Another process's kernel on the same database (its own engine, pool, clock and catalog)."""
    other = make_kernel(backend.db.url, str(tmp_path / "second"), START)
    yield other
    other.db.dispose()


def _apps(*kernels: Kernel) -> list[Flask]:
    return [create_app(kernel, testing=True) for kernel in kernels]


def _later(kernels: tuple[Kernel, ...], delta: dt.timedelta) -> None:
    for kernel in kernels:
        kernel.clock.set(kernel.clock.now() + delta)  # type: ignore[attr-defined]


def _object(client: FlaskClient, notice_id: int) -> int:
    path = f"/public/notices/{notice_id}/object"
    form = client.get(path, environ_base=ADDRESS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, form
    data = {"text": OBJECTION, "csrf_token": token.group(1)}
    return client.post(path, data=data, environ_base=ADDRESS).status_code


def test_two_servers_admit_five_objections_an_hour_from_one_address_between_them(
    backend: Kernel, second: Kernel
) -> None:
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()
    (notice,) = notices.active_notices(backend)
    one, two = (app.test_client() for app in _apps(backend, second))
    statuses = [_object(client, notice["id"]) for client in (one, two) * 4]
    assert statuses == [302] * 5 + [429] * 3
    _later((backend, second), dt.timedelta(hours=1, seconds=1))
    assert _object(two, notice["id"]) == 302


def test_two_servers_count_the_same_failed_sign_ins(backend: Kernel, second: Kernel) -> None:
    one, two = (app.test_client() for app in _apps(backend, second))

    def attempt(client: FlaskClient, password: str) -> int:
        body = {"username": "secretary1", "password": password}
        return client.post("/api/v1/auth/token", json=body, environ_base=ADDRESS).status_code

    assert [attempt(client, "wrong-guess") for client in (one, two, one, two, one)] == [401] * 5
    assert attempt(two, "demo12345") == 429
    assert attempt(one, "demo12345") == 429


def test_two_servers_admit_one_urge_an_hour_between_them(backend: Kernel, second: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    task = walk.task_of("member2")
    one, two = (app.test_client() for app in _apps(backend, second))

    def urge(client: FlaskClient) -> int:
        issued = client.post("/api/v1/auth/token", json={"username": "secretary1", "password": "demo12345"})
        headers = {"Authorization": f"Bearer {issued.get_json()['token']}"}
        return client.post(
            f"/api/v1/tasks/{task.id}/urge", headers=headers, json={"note": "请尽快"}
        ).status_code

    assert [urge(one), urge(two), urge(one)] == [200, 422, 422]
    _later((backend, second), dt.timedelta(hours=1, seconds=1))
    assert urge(two) == 200


def test_concurrent_hits_from_two_kernels_take_exactly_the_quota(backend: Kernel, second: Kernel) -> None:
    taken: list[bool] = []
    start = threading.Barrier(12)

    def hit(kernel: Kernel) -> None:
        start.wait()
        for _ in range(3):
            taken.append(limits.take(kernel, "test:quota", 7, dt.timedelta(minutes=5)).allowed)

    threads = [threading.Thread(target=hit, args=(k,)) for k in (backend, second) * 6]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 36 and taken.count(True) == 7
    refused = limits.take(second, "test:quota", 7, dt.timedelta(minutes=5))
    assert not refused.allowed and 0 < refused.retry_after <= 300
