"""历史回放: step through a case's events and see it as it stood after any one of them — the diagram
with what was done and what waited, the open tasks, and the data — computed by replaying the log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from xianfeng.engine.errors import NotFound
from xianfeng.engine.services.audit import timeline

from ..auth import login_required
from ..context import kernel, require_actor
from . import history_view

blueprint = Blueprint("history", __name__, url_prefix="/instances/<int:instance_id>/history")


def position_arg() -> int | None:
    """`?at=<n>`: an event's number in the case; absent means the last one."""
    raw = request.args.get("at", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise NotFound(f"no event {raw!r}: events are numbered from 1", position=raw)
    return int(raw)


@blueprint.get("")
@login_required
def show(instance_id: int) -> Any:
    case = timeline.case_at(kernel(), require_actor(), instance_id, position_arg())
    return render_template("history.html", case=case, page=history_view.page(case))
