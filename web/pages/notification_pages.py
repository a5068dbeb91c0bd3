"""The bell's page: notifications, each linking to its task or instance, and 'mark all read'."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.services import notifications

from ..auth import login_required
from ..context import kernel, require_actor

blueprint = Blueprint("notifications", __name__, url_prefix="/notifications")


@blueprint.get("")
@login_required
def index() -> Any:
    unread = request.args.get("show") == "unread"
    rows = notifications.list_for(kernel(), require_actor(), limit=100, unread_only=unread)
    return render_template("notifications.html", rows=rows, unread_only=unread)


@blueprint.post("/read")
@login_required
def mark_all_read() -> Any:
    count = notifications.mark_read(kernel(), require_actor())
    flash(_("已将 %(count)s 条通知标为已读", count=count), "success")
    return redirect(url_for("notifications.index"))
