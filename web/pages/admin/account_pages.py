"""账号: accounts with their roles, branch and member; opening one (its temporary password shown
once, on the answer to the POST, never stored or sent again), changing it, resetting its password,
disabling it (what waits for it handed over) and enabling it again."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.errors import XianfengError
from xianfeng.engine.models.org import ACCOUNT_ROLES
from xianfeng.engine.services.admin import accounts_admin
from xianfeng.engine.services.admin.accounts_admin import AccountRow, AccountSpec, Issued
from xianfeng.web.errors import status_of

from ...auth import login_required
from ...context import kernel, require_actor
from .blueprint import blueprint
from .common import field_errors, form, said

ACTIVE = {"yes": True, "no": False}


def _spec(username: str = "") -> AccountSpec:
    return AccountSpec(
        username=username or form("username"),
        display_name=form("display_name"),
        roles=[r for r in request.form.getlist("roles") if r in ACCOUNT_ROLES],
        branch=form("branch") or None,
        member=form("member") or None,
    )


def _issued(issued: Issued, what: str) -> Any:
    """The one page that shows a temporary password: not cached, not kept, not shown again."""
    page = render_template("admin/issued.html", issued=issued, what=what)
    return page, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}


@blueprint.get("/accounts")
@login_required
def accounts() -> Any:
    role = request.args.get("role") if request.args.get("role") in ACCOUNT_ROLES else None
    active = ACTIVE.get(request.args.get("active", ""))
    query = request.args.get("q", "").strip()[:64]
    rows = accounts_admin.list_accounts(kernel(), require_actor(), query, role, active)
    chosen = {"role": role, "active": request.args.get("active", ""), "q": query}
    return render_template("admin/accounts.html", rows=rows, roles=ACCOUNT_ROLES, chosen=chosen)


def _values(a: AccountRow | None, posted: bool) -> dict[str, Any]:
    """What the account form shows: what was posted, or the account as it is."""
    if posted:
        return {
            "username": form("username"),
            "display_name": form("display_name"),
            "roles": request.form.getlist("roles"),
            "member": form("member"),
            "branch": form("branch"),
            "reason": form("reason"),
        }
    if a is None:
        return {
            "username": "",
            "display_name": "",
            "roles": [],
            "member": request.args.get("member", ""),
            "branch": "",
        }
    return {
        "username": a.username,
        "display_name": a.display_name,
        "roles": a.roles,
        "member": a.member_code or "",
        "branch": str(a.branch_id or ""),
    }


@blueprint.route("/accounts/new", methods=["GET", "POST"])
@login_required
def new_account() -> Any:
    if request.method == "GET":
        return _new_form({})
    try:
        issued = accounts_admin.create_account(kernel(), require_actor(), _spec(), form("reason"))
    except XianfengError as error:
        return _new_form(field_errors(error), status_of(error))
    return _issued(issued, "created")


def _new_form(errors: dict[str, str], status: int = 200) -> Any:
    choices = accounts_admin.account_form(kernel(), require_actor())
    page = render_template(
        "admin/account_new.html",
        choices=choices,
        roles=ACCOUNT_ROLES,
        errors=errors,
        values=_values(None, request.method == "POST"),
    )
    return page, status


@blueprint.get("/accounts/<int:user_id>")
@login_required
def account(user_id: int) -> Any:
    return _account_page(user_id)


def _account_page(user_id: int, error: XianfengError | None = None, where: str = "") -> Any:
    detail = accounts_admin.account_detail(kernel(), require_actor(), user_id)
    page = render_template(
        "admin/account.html",
        detail=detail,
        a=detail.account,
        roles=ACCOUNT_ROLES,
        errors=field_errors(error),
        error=said(error) if error else "",
        where=where,
        values=_values(detail.account, where == "edit"),
        reason=form("reason") if where else "",
    )
    return page, status_of(error) if error else 200


@blueprint.post("/accounts/<int:user_id>")
@login_required
def update_account(user_id: int) -> Any:
    try:
        changed = accounts_admin.update_account(kernel(), require_actor(), user_id, _spec(), form("reason"))
    except XianfengError as error:
        return _account_page(user_id, error, "edit")
    flash(
        _("已保存（%(count)s 项修改）", count=len(changed)) if changed else _("没有修改任何内容"), "success"
    )
    return redirect(url_for("admin.account", user_id=user_id))


@blueprint.post("/accounts/<int:user_id>/password")
@login_required
def reset_password(user_id: int) -> Any:
    try:
        issued = accounts_admin.reset_password(kernel(), require_actor(), form("username"), form("reason"))
    except XianfengError as error:
        return _account_page(user_id, error, "password")
    return _issued(issued, "reset")


@blueprint.post("/accounts/<int:user_id>/disable")
@login_required
def disable(user_id: int) -> Any:
    username, handover_to = form("username"), form("handover_to") or None
    try:
        done = accounts_admin.disable_account(
            kernel(), require_actor(), username, form("reason"), handover_to
        )
    except XianfengError as error:
        return _account_page(user_id, error, "disable")
    message = _("已停用账号 %(u)s，其会话和令牌即刻失效", u=username)
    if done:
        message += _("；%(count)s 项待办已交接", count=len(done))
    flash(message, "success")
    return redirect(url_for("admin.account", user_id=user_id))


@blueprint.post("/accounts/<int:user_id>/enable")
@login_required
def enable(user_id: int) -> Any:
    try:
        accounts_admin.enable_account(kernel(), require_actor(), form("username"), form("reason"))
    except XianfengError as error:
        return _account_page(user_id, error, "enable")
    flash(_("已启用账号 %(u)s", u=form("username")), "success")
    return redirect(url_for("admin.account", user_id=user_id))
