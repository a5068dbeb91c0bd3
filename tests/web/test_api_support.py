"""Helpers the API tests share (this module holds no tests): walking an instance to a given step,
reading a task's ETag, and asserting that a refused request stored nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nomination_support
from flask.testing import FlaskClient
from support import CreationWalk, table_contents

from xianfeng.engine.kernel import Kernel

DETERMINE = {
    "include": True,
    "post_title": "便民服务示范岗",
    "responsibilities": "负责村便民服务站日常工作，每周两次入户走访。",
}
APPROVE = {"decision": "approve", "opinion": "经党委会研究，同意设立。"}
ETAG = r'^"\d+-\d+"$'


def walk_to(kernel: Kernel, step: str, **walk: Any) -> CreationWalk:
    """An instance walked through the services to `step`: evaluation, determine or decision.

    Steps are deterministic, so the same database and clock walked the same way give the same
    result: the first test to walk there keeps a copy, later ones start from it. The key is the
    whole database content, so a walk on top of anything else is walked for real.
    """
    key = (_content_key(kernel), kernel.clock.now(), step, tuple(sorted(walk.items())))
    if key in _WALKED:
        saved, now, instance_id = _WALKED[key]
        _replace_database(kernel, saved)
        kernel.clock.set(now)
        return CreationWalk(kernel, instance_id=instance_id, **walk)
    creation = _walk(kernel, step, **walk)
    saved = Path(_CACHE.name) / f"walk{len(_WALKED)}.sqlite3"
    kernel.db.dispose()  # closing checkpoints the WAL into the file
    shutil.copy(_database_file(kernel), saved)
    _WALKED[key] = (saved, kernel.clock.now(), creation.instance_id)
    return creation


def _walk(kernel: Kernel, step: str, **walk: Any) -> CreationWalk:
    creation = CreationWalk(kernel, **walk)
    creation.start()
    if step == "evaluation":
        return creation
    creation.evaluate()
    creation.pass_notice()
    creation.consent()
    if step == "determine":
        return creation
    creation.determine()
    assert step == "decision", step
    return creation


_CACHE = tempfile.TemporaryDirectory(prefix="xianfeng-walks-")
_WALKED: dict[tuple[Any, ...], tuple[Path, dt.datetime, int]] = {}


def _content_key(kernel: Kernel) -> str:
    return hashlib.sha256(repr(table_contents(kernel)).encode()).hexdigest()


def _database_file(kernel: Kernel) -> Path:
    database = kernel.db.engine.url.database
    assert kernel.db.is_sqlite and database, "walks are kept for SQLite only"
    return Path(database)


def _replace_database(kernel: Kernel, saved: Path) -> None:
    target = _database_file(kernel)
    kernel.db.dispose()
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copy(saved, target)


@contextmanager
def nothing_stored(kernel: Kernel) -> Iterator[None]:
    """Every row of every table is the same after the block as before it."""
    before = table_contents(kernel)
    yield
    assert table_contents(kernel) == before


def etag_of_task(client: FlaskClient, headers: dict[str, str], task_id: str) -> str:
    response = client.get(f"/api/v1/tasks/{task_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.headers["ETag"]


def with_if_match(headers: dict[str, str], etag: str) -> dict[str, str]:
    return {**headers, "If-Match": etag}


def add_deputy(kernel: Kernel, username: str, branch_id: int) -> None:
    """A second branch committee member (支委), so that a branch task has someone to be transferred
    to; recorded on the chain as an administrator's change would be."""
    nomination_support.add_deputy(kernel, username, branch_id)


def error_of(response: Any) -> dict[str, Any]:
    """The JSON error body, after checking it has the API's error shape."""
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("code"), str) and body.get("message"), body
    return body
