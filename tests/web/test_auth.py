"""Signing in and out, CSRF, the language switch, API tokens, the secret key."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from conftest import csrf_of
from flask import Flask
from flask.testing import FlaskClient
from support import CreationWalk, member_id_of

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import User, UserRole
from xianfeng.engine.services import accounts, chain
from xianfeng.web.config import SECRET_FILE


def test_pages_redirect_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_sign_in_with_a_wrong_password_is_refused_in_chinese(client: FlaskClient) -> None:
    response = client.post(
        "/login", data={"username": "committee", "password": "nope", "csrf_token": csrf_of(client)}
    )
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_a_form_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "committee", "password": "demo12345"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_sign_in_then_out(login: Callable[[str], FlaskClient]) -> None:
    client = login("committee")
    assert client.get("/").status_code in (200, 302)
    assert client.post("/logout", data={"csrf_token": csrf_of(client, "/")}).status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")


def test_sign_in_never_redirects_to_another_site(client: FlaskClient) -> None:
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": "committee", "password": "demo12345", "csrf_token": csrf_of(client)},
    )
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(client: FlaskClient) -> None:
    response = client.post(
        "/login", data={"username": "committee", "password": "demo12345", "csrf_token": csrf_of(client)}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_interface_is_chinese_first_with_english_on_request(client: FlaskClient) -> None:
    assert "用户名" in client.get("/login").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_of(client), "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert "Username" in page and "用户名" not in page


def test_the_chosen_language_survives_sign_in(client: FlaskClient) -> None:
    client.post("/lang/en", data={"csrf_token": csrf_of(client), "next": "/login"})
    client.post(
        "/login", data={"username": "committee", "password": "demo12345", "csrf_token": csrf_of(client)}
    )
    assert "Sign out" in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_api_token_exchange_and_errors_are_json(client: FlaskClient) -> None:
    good = client.post("/api/v1/auth/token", json={"username": "committee", "password": "demo12345"})
    assert good.status_code == 200 and good.get_json()["expires_in"] == 12 * 3600
    bad = client.post("/api/v1/auth/token", json={"username": "committee", "password": "wrong"})
    assert bad.status_code == 401 and bad.get_json() == {
        "code": "not_authenticated",
        "message": "wrong username or password",
    }
    unknown = client.post("/api/v1/auth/token", json={"username": "a", "password": "b", "extra": 1})
    assert unknown.status_code == 422 and unknown.get_json()["errors"]["json"] == {
        "extra": ["Unknown field."]
    }


def test_a_forged_token_is_refused(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401 and response.get_json()["code"] == "not_authenticated"


def test_the_openapi_document_is_served(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["info"]["title"].startswith("先锋") and "/api/v1/auth/token" in document["paths"]


def test_the_secret_key_is_generated_once_and_kept_private(kernel: Kernel) -> None:
    os.environ.pop("XIANFENG_SECRET_KEY", None)
    first: Flask = __import__("xianfeng.web", fromlist=["create_app"]).create_app(kernel)
    second: Flask = __import__("xianfeng.web", fromlist=["create_app"]).create_app(kernel)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    path = Path(kernel.settings.data_dir) / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def _change_account(kernel: Kernel, username: str, **changes: object) -> None:
    with kernel.db.unit_of_work() as uow:
        user = uow.session.execute(sa.select(User).where(User.username == username)).scalar_one()
        for name, value in changes.items():
            setattr(user, name, value)
        chain.record(uow.session, kernel, None, "account", {"username": username, "test": "changed"})
        uow.commit()


def test_a_token_dies_with_a_password_change_or_a_disabled_account(
    client: FlaskClient, kernel: Kernel
) -> None:
    def token_for(username: str) -> dict[str, str]:
        issued = client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"})
        return {"Authorization": f"Bearer {issued.get_json()['token']}"}

    secretary, member = token_for("secretary1"), token_for("member1")
    assert client.get("/api/v1/tasks", headers=secretary).status_code == 200
    _change_account(kernel, "secretary1", password_hash=accounts.hash_password("another-password"))
    refused = client.get("/api/v1/tasks", headers=secretary)
    assert refused.status_code == 401 and "account changed or disabled" in refused.get_json()["message"]
    assert client.get("/api/v1/tasks", headers=member).status_code == 200
    _change_account(kernel, "member1", active=False)
    assert client.get("/api/v1/tasks", headers=member).status_code == 401


def test_a_disabled_account_loses_its_session(login: Callable[[str], FlaskClient], kernel: Kernel) -> None:
    client = login("member2")
    assert client.get("/inbox").status_code == 200
    _change_account(kernel, "member2", active=False)
    response = client.get("/inbox")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def _set_roles(kernel: Kernel, username: str, roles: set[str]) -> None:
    with kernel.db.unit_of_work() as uow:
        user_id = uow.session.execute(sa.select(User.id).where(User.username == username)).scalar_one()
        for link in uow.session.execute(sa.select(UserRole).where(UserRole.user_id == user_id)).scalars():
            uow.session.delete(link)
        uow.session.flush()
        uow.session.add_all(UserRole(user_id=user_id, role=role) for role in sorted(roles))
        chain.record(uow.session, kernel, None, "account", {"username": username, "test": "roles"})
        uow.commit()


def test_changed_roles_and_branch_count_from_the_next_api_request(
    client: FlaskClient, kernel: Kernel, walk: CreationWalk
) -> None:
    """The actor is read afresh for every request: nothing about an account is cached between two."""
    issued = client.post("/api/v1/auth/token", json={"username": "secretary1", "password": "demo12345"})
    secretary = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    start = "/api/v1/processes/model_post_creation/instances"
    started = client.post(start, headers=secretary, json={"data": walk.nomination()})
    assert started.status_code == 201
    instance = started.headers["Location"]
    assert client.get(instance, headers=secretary).status_code == 200

    _set_roles(kernel, "secretary1", {"member"})
    refused = client.post(start, headers=secretary, json={"data": walk.nomination()})
    assert refused.status_code == 403 and "branch" in refused.get_json()["message"]
    _set_roles(kernel, "secretary1", {"branch", "member"})
    another = walk.nomination(candidate_member_id=member_id_of(kernel, "member5"))  # one running each
    assert client.post(start, headers=secretary, json={"data": another}).status_code == 201

    _change_account(kernel, "secretary1", branch_id=2)
    assert client.get(instance, headers=secretary).status_code == 403
    _change_account(kernel, "secretary1", branch_id=1)
    assert client.get(instance, headers=secretary).status_code == 200


def test_the_per_request_account_read_does_not_take_the_write_lock(kernel: Kernel) -> None:
    """It runs before every request: on SQLite it must not open a write transaction (BEGIN
    IMMEDIATE), which would queue every page and API call behind the writers; its one statement
    needs no transaction at all."""
    user_id = accounts.authenticate(kernel, "secretary1", "demo12345").user_id
    assert user_id is not None
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement.strip())

    sa.event.listen(kernel.db.engine, "before_cursor_execute", seen)
    try:
        who = accounts.signed_in(kernel, user_id)
    finally:
        sa.event.remove(kernel.db.engine, "before_cursor_execute", seen)
    assert who is not None and who.has("branch") and who.username == "secretary1"
    if kernel.db.is_sqlite:
        assert len(statements) == 1 and statements[0].startswith("SELECT")


def test_a_new_secret_key_voids_tokens_and_sessions_at_once(
    app: Flask, client: FlaskClient, login: Callable[[str], FlaskClient]
) -> None:
    """The token and cookie signers are made once per key, not per request: a key changed on a
    running app must still count from the next request."""
    issued = client.post("/api/v1/auth/token", json={"username": "secretary1", "password": "demo12345"})
    bearer = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    page = login("member2")
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    assert page.get("/inbox").status_code == 200
    app.config["SECRET_KEY"] = "another-secret-key-for-the-test"
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 401
    assert page.get("/inbox").status_code == 302
