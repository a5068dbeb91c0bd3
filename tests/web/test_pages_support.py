"""Helpers the page tests share (this module holds no tests): posting a form with its CSRF token,
walking an instance to a step, and asserting that a refused request stored nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conftest import csrf_of
from flask.testing import FlaskClient
from support import CreationWalk, table_contents
from werkzeug.test import TestResponse

from xianfeng.engine.kernel import Kernel

APPROVE = {"decision": "approve", "opinion": "经党委会研究，同意设立。"}


def post(client: FlaskClient, path: str, data: dict[str, Any], token_from: str = "/inbox") -> TestResponse:
    """POST a form the way the page would: with the session's CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf_of(client, token_from)})


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def walk_to(kernel: Kernel, step: str, **people: Any) -> CreationWalk:
    """An instance walked through the services up to `step`: evaluation, consent, determine, decision."""
    walk = CreationWalk(kernel, **people)
    walk.start()
    if step == "evaluation":
        return walk
    walk.evaluate()
    walk.pass_notice()
    if step == "consent":
        return walk
    walk.consent()
    if step == "determine":
        return walk
    walk.determine()
    assert step == "decision", step
    return walk


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return found.group(1)


@contextmanager
def nothing_stored(kernel: Kernel) -> Iterator[None]:
    """The block's requests are refused: every table holds exactly what it held before."""
    before = table_contents(kernel)
    yield
    assert table_contents(kernel) == before
