"""通知投递: the administrator's list of deliveries that failed for good (by e-mail, robot or SMS),
with the last error, and a button to send one again on the next ticker round."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from xianfeng.engine.services import delivery_admin

from ..auth import login_required
from ..context import kernel, require_actor

blueprint = Blueprint("admin_notifications", __name__, url_prefix="/admin/notifications")


@blueprint.get("")
@login_required
def index() -> Any:
    return render_template("admin_notifications.html", o=delivery_admin.overview(kernel(), require_actor()))


@blueprint.post("/<int:delivery_id>/retry")
@login_required
def retry(delivery_id: int) -> Any:
    delivery_admin.send_again(kernel(), require_actor(), delivery_id)
    flash(_("已重新排队，下一轮将再次投递"), "success")
    return redirect(url_for("admin_notifications.index"))
