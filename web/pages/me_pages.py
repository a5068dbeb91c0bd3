"""我的: a member's own page — tasks, post, areas with their goals, records, rectifications,
rewards and criticisms, notifications."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _

from xianfeng.engine.services import me, notification_text

from ..auth import login_required
from ..context import kernel, require_actor
from . import labels, stats_view

blueprint = Blueprint("me", __name__)


@blueprint.get("/me")
@login_required
def index() -> Any:
    page = me.my_page(kernel(), require_actor())
    return render_template(
        "me.html",
        me=page,
        option=labels.value_text,
        outcome=partial(stats_view.outcome_word, page.outcomes),
        post_status=stats_view.post_status_word,
        rectification=_rectification_status,
    )


def _rectification_status(code: str) -> str:
    return {"open": _("整改中"), "passed": _("整改合格"), "failed": _("整改未到位")}.get(code, code)


@blueprint.app_template_global("notification_word")
def notification_word(kind: str) -> str:
    """What a notification says happened (新待办, 被退回, 即将到期 …), in the page's language."""
    return notification_text.kind_word(kind, labels.lang())
