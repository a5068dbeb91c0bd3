"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for

from xianfeng.engine.errors import NotAuthenticated

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
    error = None
    if request.method == "POST":
        try:
            auth.sign_in(request.form.get("username", "").strip(), request.form.get("password", ""))
            return redirect(_safe_next(request.args.get("next")))
        except NotAuthenticated:
            error = "wrong"
    return render_template("login.html", error=error, username=request.form.get("username", "")), (
        401 if error else 200
    )


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
