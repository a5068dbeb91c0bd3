"""No server error on any input (issue 12, finding 7), on SQLite and PostgreSQL: ids past what the
database's integers hold are 404 in a path and 422 in a body; malformed JSON, a lone surrogate,
JSON nested 100,000 deep and a NUL character are 400 naming the field; an integer stays an integer
(a float 5.0 is not taken as a member id). Each refusal stores nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import CreationWalk, table_contents

from xianfeng.engine.kernel import Kernel
from xianfeng.web import create_app

BIG = (2**31, 2**63, 2**70)
START = "/api/v1/processes/model_post_creation/instances"


@pytest.fixture
def app(backend: Kernel) -> Flask:
    return create_app(backend, testing=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def bearer(client: FlaskClient) -> dict[str, str]:
    issued = client.post("/api/v1/auth/token", json={"username": "secretary1", "password": "demo12345"})
    return {"Authorization": f"Bearer {issued.get_json()['token']}"}


@pytest.fixture
def unchanged(backend: Kernel) -> Iterator[None]:
    before = table_contents(backend)
    yield
    after = table_contents(backend)
    after.pop("rate_limit"), before.pop("rate_limit")
    assert after == before


@pytest.mark.parametrize("number", BIG)
def test_an_id_past_the_databases_integers_is_not_found(
    client: FlaskClient, bearer: dict[str, str], number: int, unchanged: None
) -> None:
    for path in (
        f"/api/v1/instances/{number}",
        f"/api/v1/posts/{number}",
        f"/api/v1/instances/{number}/history",
    ):
        response = client.get(path, headers=bearer)
        assert response.status_code == 404 and response.get_json()["code"] == "not_found", path
    assert client.get(f"/instances/{number}").status_code in (302, 404)  # a page: signed out, or not found
    assert client.get(f"/posts?branch_id={number}").status_code in (302, 400)  # a page's query
    assert client.get(f"/api/v1/posts?branch_id={number}", headers=bearer).status_code == 400


@pytest.mark.parametrize("number", BIG)
def test_an_id_past_the_databases_integers_in_a_body_is_422_naming_it(
    client: FlaskClient, bearer: dict[str, str], number: int, unchanged: None
) -> None:
    response = client.post("/api/v1/notifications/read", headers=bearer, json={"ids": [number]})
    assert response.status_code == 422
    assert "ids" in str(response.get_json()["errors"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"data": {"post_title": "\\ud800"}}', "json.data.post_title"),
        (b'{"data": {"post_title": "a\\u0000b"}}', "json.data.post_title"),
        (b'{"data": ', "json"),
        (b"[" * 100_000 + b"]" * 100_000, "json"),
        (b'{"data": {"public_evaluator_count": 1e400}}', "json.data.public_evaluator_count"),
    ],
    ids=["lone-surrogate", "nul", "malformed", "deep", "infinite"],
)
def test_a_bad_json_body_is_refused_naming_the_field(
    client: FlaskClient, bearer: dict[str, str], body: bytes, field: str, unchanged: None
) -> None:
    response = client.post(START, headers={**bearer, "Content-Type": "application/json"}, data=body)
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:300]
    assert field in response.get_json()["errors"], response.get_json()


def test_a_nul_in_a_username_or_a_path_is_refused(client: FlaskClient, unchanged: None) -> None:
    token = client.post("/api/v1/auth/token", json={"username": "secretary1\x00", "password": "x" * 8})
    assert token.status_code == 400 and "json.username" in token.get_json()["errors"]
    page = client.post("/login", data={"username": "a\x00b", "password": "demo12345"})
    assert page.status_code == 400
    assert client.get("/api/v1/tasks/abc%00def").status_code in (400, 401, 404)


def test_a_float_is_not_taken_as_a_member_id(
    client: FlaskClient, bearer: dict[str, str], backend: Kernel, unchanged: None
) -> None:
    data = CreationWalk(backend).nomination()
    data["candidate_member_id"] = float(data["candidate_member_id"])
    response = client.post(START, headers=bearer, json={"data": data})
    assert response.status_code == 422 and "candidate_member_id" in response.get_json()["errors"]
