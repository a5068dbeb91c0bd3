"""Flask test-client fixtures: an app on a ready database, signed-in clients and API tokens."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from xianfeng.engine.kernel import Kernel
from xianfeng.web import create_app


@pytest.fixture
def app(kernel: Kernel) -> Flask:
    return create_app(kernel, testing=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_of(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def login(app: Flask) -> Callable[[str], FlaskClient]:
    """A new client signed in as the given demo account."""

    def signed_in(username: str) -> FlaskClient:
        client = app.test_client()
        response = client.post(
            "/login", data={"username": username, "password": "demo12345", "csrf_token": csrf_of(client)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return signed_in


@pytest.fixture
def token(client: FlaskClient) -> Callable[[str], dict[str, str]]:
    """Authorization headers for the API as the given demo account."""

    def headers(username: str) -> dict[str, str]:
        response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return headers
