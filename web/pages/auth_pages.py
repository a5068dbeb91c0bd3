"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for

from xianfeng.engine.errors import NotAuthenticated, TooManyAttempts

from .. import auth
from ..i18n import LANGUAGES

blueprint = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a signed-in user to another site."""
    if not target:
        return url_for("home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home")
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error, status, headers, retry_after = None, 200, {}, 0
    if request.method == "POST":
        try:
            auth.sign_in(request.form.get("username", "").strip(), request.form.get("password", ""))
            return redirect(_safe_next(request.args.get("next")))
        except NotAuthenticated:
            error, status = "wrong", 401
        except TooManyAttempts as refused:
            retry_after = int(refused.params.get("retry_after", 1))
            error, status, headers = "too_many", 429, {"Retry-After": str(retry_after)}
    page = render_template(
        "login.html", error=error, retry_after=retry_after, username=request.form.get("username", "")
    )
    return page, status, headers


@blueprint.route("/logout", methods=["POST"])
def logout() -> Any:
    auth.sign_out()
    return redirect(url_for("auth.login"))


@blueprint.route("/lang/<code>", methods=["POST"])
def language(code: str) -> Any:
    if code in LANGUAGES:
        session["lang"] = code
    back = request.form.get("next") or (urlsplit(request.referrer).path if request.referrer else None)
    return redirect(_safe_next(back))
