"""Sessions and sign-in under attack (issue 12, findings 3 and 4): a sign-out or a new password ends
every session and token of the account; sign-in is throttled per account name and per address
with growing delays, alike for unknown names, which take as long to refuse as known ones; a token
carries nothing derived from the password."""

from __future__ import annotations

import base64
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable

import sqlalchemy as sa
from conftest import csrf_of
from flask import Flask
from flask.testing import FlaskClient

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import User
from xianfeng.engine.services import accounts, chain

Headers = dict[str, str]
TOKEN = "/api/v1/auth/token"


def _token(client: FlaskClient, username: str, password: str = "demo12345", address: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(
        TOKEN, json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def _bearer(client: FlaskClient, username: str) -> Headers:
    response = _token(client, username)
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _later(kernel: Kernel, seconds: float) -> None:
    kernel.clock.set(kernel.clock.now() + dt.timedelta(seconds=seconds))  # type: ignore[attr-defined]


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/inbox").status_code == 200


def test_signing_out_ends_every_session_and_token_of_the_account(
    client: FlaskClient, login: Callable[[str], FlaskClient]
) -> None:
    phone, desk, colleague = login("secretary1"), login("secretary1"), login("secretary2")
    token = _bearer(client, "secretary1")
    assert (
        _signed_in(phone)
        and _signed_in(desk)
        and client.get("/api/v1/tasks", headers=token).status_code == 200
    )
    assert phone.post("/logout", data={"csrf_token": csrf_of(phone, "/inbox")}).status_code == 302
    assert not _signed_in(phone) and not _signed_in(desk)
    refused = client.get("/api/v1/tasks", headers=token)
    assert refused.status_code == 401 and refused.get_json()["code"] == "not_authenticated"
    assert _signed_in(colleague)  # another account's session is untouched
    assert _signed_in(login("secretary1"))  # and signing in again works


def test_a_new_password_ends_every_session_and_token_of_the_account(
    client: FlaskClient, kernel: Kernel, login: Callable[[str], FlaskClient]
) -> None:
    desk, token = login("member2"), _bearer(client, "member2")
    with kernel.db.unit_of_work() as uow:  # as an administrator's reset or the holder's own change does
        user = uow.session.execute(sa.select(User).where(User.username == "member2")).scalar_one()
        user.password_hash = accounts.hash_password("a-new-secret")
        chain.record(uow.session, kernel, None, "account", {"username": "member2", "action": "password"})
        uow.commit()
    assert not _signed_in(desk)
    assert client.get("/api/v1/tasks", headers=token).status_code == 401
    assert _token(client, "member2").status_code == 401
    assert _token(client, "member2", "a-new-secret").status_code == 200


def test_a_token_carries_nothing_derived_from_the_password(client: FlaskClient, kernel: Kernel) -> None:
    token = _token(client, "committee").get_json()["token"]
    body = token.split(".")[0]
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert set(claims) == {"uid", "cv"}
    with kernel.db.unit_of_work(write=False) as uow:
        stored = uow.session.execute(
            sa.select(User.password_hash).where(User.username == "committee")
        ).scalar()
    assert stored is not None and stored[-16:] not in token and stored.split("$")[-1][:16] not in token


def test_sixty_wrong_passwords_then_the_right_one_is_refused_until_the_delay_has_passed(
    client: FlaskClient, kernel: Kernel
) -> None:
    statuses = [_token(client, "secretary1", f"guess-{n:02d}").status_code for n in range(60)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    right = _token(client, "secretary1")
    assert right.status_code == 429 and right.get_json()["code"] == "too_many_attempts"
    _later(kernel, int(right.headers["Retry-After"]))
    assert _token(client, "secretary1").status_code == 200


def test_each_failure_past_the_free_ones_doubles_the_delay(client: FlaskClient, kernel: Kernel) -> None:
    for n in range(5):
        assert _token(client, "member3", f"wrong-{n}").status_code == 401
    delays = []
    for n in range(5):
        assert _token(client, "member3", f"again-{n}").status_code == 429
        delays.append(int(_token(client, "member3").headers["Retry-After"]))
        _later(kernel, delays[-1])
        assert _token(client, "member3", f"late-{n}").status_code == 401
    assert delays == [1, 2, 4, 8, 16]


def test_unknown_names_are_throttled_exactly_like_known_ones(client: FlaskClient) -> None:
    def run(username: str) -> list[int]:
        return [_token(client, username, f"guess-{n}").status_code for n in range(8)]

    assert run("secretary2") == run("nobody-by-this-name") == [401] * 5 + [429] * 3


def test_a_good_sign_in_forgets_the_accounts_failures(client: FlaskClient) -> None:
    for n in range(4):
        assert _token(client, "member4", f"wrong-{n}").status_code == 401
    assert _token(client, "member4").status_code == 200
    assert [_token(client, "member4", f"x-{n}").status_code for n in range(5)] == [401] * 5


def test_one_address_trying_many_names_is_throttled(client: FlaskClient, kernel: Kernel) -> None:
    for n in range(20):
        assert _token(client, f"sprayed-{n}", "demo12345", address="10.0.0.9").status_code == 401
    blocked = _token(client, "member5", address="10.0.0.9")  # a real account, the right password
    assert blocked.status_code == 429
    assert _token(client, "member5", address="10.0.0.10").status_code == 200  # another address is not
    _later(kernel, int(blocked.headers["Retry-After"]))
    assert _token(client, "member5", address="10.0.0.9").status_code == 200


def test_the_sign_in_page_says_how_long_to_wait(client: FlaskClient) -> None:
    for n in range(6):
        client.post(
            "/login", data={"username": "member6", "password": f"no-{n}", "csrf_token": csrf_of(client)}
        )
    page = client.post(
        "/login", data={"username": "member6", "password": "demo12345", "csrf_token": csrf_of(client)}
    )
    assert page.status_code == 429 and page.headers["Retry-After"] == "1"
    assert "登录失败次数过多，请 1 秒后再试" in page.get_data(as_text=True)


def test_an_unknown_name_takes_as_long_to_refuse_as_a_wrong_password(app: Flask) -> None:
    """Enumeration by timing (555 ms against 10 ms before): both run one scrypt check. A ratio with a
    wide margin, so that a loaded machine cannot fail it: without the dummy check it is about 0.02."""
    client = app.test_client()

    def timed(username: str, address: str) -> float:
        started = time.perf_counter()
        assert _token(client, username, "not-the-password", address).status_code == 401
        return time.perf_counter() - started

    timed("nobody-warm-up", "10.1.0.1")  # the first unknown name makes the process's dummy hash
    known = [timed("secretary3", f"10.1.1.{n}") for n in range(3)]
    unknown = [timed(f"nobody-{n}", f"10.1.2.{n}") for n in range(3)]
    assert statistics.median(unknown) >= 0.5 * statistics.median(known)
