"""示范岗台账: the register of model posts (R4), filtered by branch, village and status; a branch
starts the periodic assessment (R5) of all its active posts from here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.services import offers, registers, starting

from ..auth import login_required
from ..context import kernel, require_actor
from . import bulk_start

blueprint = Blueprint("posts", __name__, url_prefix="/posts")
STATUSES = ("active", "revoked")


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else None


def _choices(rows: list[dict[str, Any]], key: str, name: str, chosen: int | None) -> list[tuple[int, str]]:
    """Filter options from the posts listed (no service lists branches or villages yet)."""
    found = {row[key]: row[name] for row in rows if row[key] is not None}
    if chosen is not None and chosen not in found:
        found[chosen] = str(chosen)
    return sorted(found.items())


@blueprint.get("")
@login_required
def index() -> Any:
    branch_id, village_id = _int_arg("branch"), _int_arg("village")
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    rows = registers.posts(kernel(), require_actor(), branch_id, village_id, status)
    return render_template(
        "posts.html",
        rows=rows,
        branches=_choices(rows, "branch_id", "branch", branch_id),
        villages=_choices(rows, "village_id", "village", village_id),
        statuses=STATUSES,
        chosen={"branch": branch_id, "village": village_id, "status": status},
    )


@blueprint.get("/<int:post_id>")
@login_required
def show(post_id: int) -> Any:
    return render_template("post.html", post=registers.post(kernel(), require_actor(), post_id))


@blueprint.post("/start-assessments")
@login_required
def start_assessments() -> Any:
    # The assessment is whichever procedure the diagrams offer at the register of posts (`offer`).
    report = starting.start_for_all(kernel(), require_actor(), offers.process_for(kernel(), "posts"))
    bulk_start.flash_report(report, _("已为 %(count)s 个示范岗发起考核", count=len(report.started)))
    return redirect(url_for("posts.index"))
