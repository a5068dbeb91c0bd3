"""Sign-in with a session cookie for pages, bearer tokens for the API.

A token is signed with the secret key and carries the user id and a fingerprint of the password
hash, so changing a password or disabling the account invalidates every token at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, g, redirect, request, session, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from xianfeng.engine.actor import Actor
from xianfeng.engine.errors import NotAuthenticated
from xianfeng.engine.services import accounts

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
    who = accounts.authenticate(kernel(), username, password)
    assert who.user_id is not None
    return _serializer(app).dumps(
        {"uid": who.user_id, "pw": accounts.token_fingerprint(kernel(), who.user_id)}
    )


def _actor_from_token(app: Flask, header: str) -> Actor:
    token = header.removeprefix("Bearer ").strip()
    try:
        claims = _serializer(app).loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as exc:
        raise NotAuthenticated("the token has expired; request a new one") from exc
    except BadSignature as exc:
        raise NotAuthenticated("the token is not valid") from exc
    who = accounts.signed_in(kernel(), int(claims["uid"]), str(claims.get("pw", "")))
    if who is None:
        raise NotAuthenticated("the token is no longer valid (account changed or disabled)")
    return who


def load_actor(app: Flask) -> None:
    """Before each request: the API's bearer token, or the page session's user."""
    header = request.headers.get("Authorization", "")
    if request.path.startswith("/api/"):
        g.actor = _actor_from_token(app, header) if header.startswith("Bearer ") else None
        return
    user_id = session.get("user_id")
    g.actor = accounts.signed_in(kernel(), int(user_id)) if user_id else None
    if user_id and g.actor is None:
        session.clear()


def sign_in(username: str, password: str) -> Actor:
    who = accounts.authenticate(kernel(), username, password)
    language = session.get("lang")
    session.clear()  # a new session on sign-in: nothing from before the sign-in carries over…
    if language:
        session["lang"] = language  # …except the language the person chose
    session["user_id"] = who.user_id
    session.permanent = True
    return who


def sign_out() -> None:
    session.clear()


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
