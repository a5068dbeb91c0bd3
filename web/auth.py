"""Sign-in with a session cookie for pages, bearer tokens for the API.

A session and a token are signed with the secret key and carry the user id and the account's
credentials version at the time they were issued, nothing derived from the password. Every request
reads the account afresh: a sign-out or a new password moves the version on, and a disabled
account is refused, so each ends every session and token of that account at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, g, redirect, request, session, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from xianfeng.engine.actor import Actor
from xianfeng.engine.errors import NotAuthenticated
from xianfeng.engine.services import accounts, credentials

from .context import kernel

TOKEN_MAX_AGE = 12 * 3600
_SALT = "xianfeng-api-token"
_SERIALIZER_KEY = "xianfeng.token_serializer"


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    """The app's token serializer, made once per secret key rather than on every request.

    A serializer holds only its key and settings, so threads may share it; it is remade if the
    secret key is changed after start-up, and the signature and age of each token are still
    checked on every request by `loads`.
    """
    secret = app.config["SECRET_KEY"]
    cached: tuple[str, URLSafeTimedSerializer] | None = app.extensions.get(_SERIALIZER_KEY)
    if cached is not None and cached[0] == secret:
        return cached[1]
    serializer = URLSafeTimedSerializer(secret, salt=_SALT)
    app.extensions[_SERIALIZER_KEY] = (secret, serializer)  # one assignment: no torn state
    return serializer


def issue_token(app: Flask, username: str, password: str) -> str:
    signed = credentials.sign_in(kernel(), username, password, request.remote_addr)
    return _serializer(app).dumps({"uid": signed.actor.user_id, "cv": signed.credentials_version})


def _actor_from_token(app: Flask, header: str) -> Actor:
    token = header.removeprefix("Bearer ").strip()
    try:
        claims = _serializer(app).loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as exc:
        raise NotAuthenticated("the token has expired; request a new one") from exc
    except BadSignature as exc:
        raise NotAuthenticated("the token is not valid") from exc
    user_id, version = _claims(claims)
    who = accounts.signed_in(kernel(), user_id, version) if user_id is not None else None
    if who is None:
        raise NotAuthenticated("the token is no longer valid (account changed or disabled)")
    return who


def _claims(claims: Any) -> tuple[int | None, int]:
    """The user id and credentials version a session or token carries (None if it has none)."""
    if not isinstance(claims, dict):
        return None, 0
    user_id, version = claims.get("uid"), claims.get("cv")
    if type(user_id) is not int or type(version) is not int:
        return None, 0
    return user_id, version


def load_actor(app: Flask) -> None:
    """Before each request: the API's bearer token, or the page session's user."""
    header = request.headers.get("Authorization", "")
    if request.path.startswith("/api/"):
        g.actor = _actor_from_token(app, header) if header.startswith("Bearer ") else None
        return
    user_id, version = _claims({"uid": session.get("user_id"), "cv": session.get("cv")})
    g.actor = accounts.signed_in(kernel(), user_id, version) if user_id is not None else None
    if session.get("user_id") is not None and g.actor is None:
        session.clear()


def sign_in(username: str, password: str) -> Actor:
    signed = credentials.sign_in(kernel(), username, password, request.remote_addr)
    language = session.get("lang")
    session.clear()  # a new session on sign-in: nothing from before the sign-in carries over…
    if language:
        session["lang"] = language  # …except the language the person chose
    session["user_id"] = signed.actor.user_id
    session["cv"] = signed.credentials_version
    session.permanent = True
    return signed.actor


def sign_out() -> None:
    """Sign out everywhere: every session and API token of the account ends, not only this one."""
    actor = g.get("actor")
    if actor is not None and actor.user_id is not None:
        credentials.end_sessions(kernel(), actor.user_id)
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("actor") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def api_login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("actor") is None:
            raise NotAuthenticated("send Authorization: Bearer <token> (POST /api/v1/auth/token)")
        return view(*args, **kwargs)

    return wrapper


def keep_signed_in() -> None:
    """After the holder changed their own password in this request: this session goes on, at the
    account's new credentials version; every other session and token of the account has ended."""
    actor = g.get("actor")
    if actor is not None and actor.user_id is not None:
        version = credentials.current_version(kernel(), actor.user_id)
        if version is not None:
            session["cv"] = version
