"""修改密码 (`/account/password`): everyone changes their own password here; right after signing in
with a temporary password, nothing else opens until they have (`require_new_password`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.errors import NotAllowed, XianfengError
from xianfeng.engine.services.admin import passwords
from xianfeng.web import auth
from xianfeng.web.errors import status_of

from ...auth import login_required
from ...context import kernel, require_actor
from .common import form, said

blueprint = Blueprint("account", __name__, url_prefix="/account")
# What a person who must change a temporary password may still reach.
OPEN = frozenset({"account.password", "auth.logout", "auth.language", "auth.login", "static"})


def require_new_password() -> Any:
    """Before each request: an account on a temporary password goes to the password page first."""
    who = g.get("actor")
    if who is None or not who.must_change_password:
        return None
    endpoint = request.endpoint or ""
    if endpoint in OPEN or endpoint.startswith(("public.", "vendor.")):
        return None
    if request.path.startswith("/api/"):
        raise NotAllowed(
            "the account has a temporary password: change it on the sign-in page first",
            zh="账号正在使用临时密码：请先在网页上登录并设置新密码",
            reason="password_change_required",
        )
    return redirect(url_for("account.password"))


@blueprint.route("/password", methods=["GET", "POST"])
@login_required
def password() -> Any:
    who = require_actor()
    if request.method == "GET":
        return _page()
    if form("new") != request.form.get("repeat", "").strip():
        return _page(_("两次输入的新密码不一致"), "repeat", 422)
    current = None if who.must_change_password else request.form.get("current", "")
    try:
        passwords.change_own(kernel(), who, current, request.form.get("new", ""))
    except XianfengError as error:
        return _page(said(error), str(error.params.get("field", "")), status_of(error))
    auth.keep_signed_in()
    flash(_("密码已修改。其他设备上的登录已失效。"), "success")
    return redirect(url_for("home"))


def _page(error: str = "", field: str = "", status: int = 200) -> Any:
    return render_template("admin/password.html", error=error, field=field), status
