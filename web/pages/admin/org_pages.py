"""组织机构: the town, its branches and their villages (`/admin`, `/admin/org`). Administrators
create and rename; the committee and auditors read."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from xianfeng.engine.errors import XianfengError
from xianfeng.engine.services.admin import org
from xianfeng.web.errors import status_of

from ...auth import login_required
from ...context import kernel, require_actor
from .blueprint import blueprint
from .common import form, number, said


@blueprint.get("")
@login_required
def index() -> Any:
    return render_template("admin/index.html", org=org.organisation(kernel(), require_actor()))


@blueprint.get("/org")
@login_required
def organisation() -> Any:
    return _render()


def _render(error: XianfengError | None = None, where: str = "") -> Any:
    page = render_template(
        "admin/org.html",
        org=org.organisation(kernel(), require_actor()),
        error=said(error) if error else "",
        where=where,
        given={name: form(name) for name in ("code", "name", "branch_id")} if error else {},
    )
    return page, status_of(error) if error else 200


def _saved(anchor: str, message: str) -> Any:
    flash(message, "success")
    return redirect(url_for("admin.organisation", _anchor=anchor))


@blueprint.post("/org/town")
@login_required
def save_town() -> Any:
    try:
        org.save_town(kernel(), require_actor(), form("code"), form("name"))
    except XianfengError as error:
        return _render(error, "town")
    return _saved("town", _("已保存本镇信息"))


@blueprint.post("/org/branches", defaults={"branch_id": None})
@blueprint.post("/org/branches/<int:branch_id>")
@login_required
def save_branch(branch_id: int | None) -> Any:
    try:
        saved = org.save_branch(kernel(), require_actor(), branch_id, form("code"), form("name"))
    except XianfengError as error:
        return _render(error, f"branch-{branch_id}" if branch_id else "new-branch")
    return _saved(f"branch-{saved}", _("已保存党支部：%(name)s", name=form("name")))


@blueprint.post("/org/villages", defaults={"village_id": None})
@blueprint.post("/org/villages/<int:village_id>")
@login_required
def save_village(village_id: int | None) -> Any:
    branch_id = number(form("branch_id")) or 0
    try:
        org.save_village(kernel(), require_actor(), village_id, branch_id, form("code"), form("name"))
    except XianfengError as error:
        return _render(error, f"village-{village_id}" if village_id else f"new-village-{branch_id}")
    return _saved(f"branch-{branch_id}", _("已保存嘎查村：%(name)s", name=form("name")))
