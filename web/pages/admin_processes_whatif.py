"""试算 (what-if) before publishing: run the recorded inputs of existing cases on a draft, in the
background with progress (a thousand cases take longer than a request should wait), then list the
verdict per case with the counts. Nothing is written to the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.services.admin import processes, whatif_runs

from ..auth import login_required
from ..context import kernel, require_actor
from . import admin_processes_view as view
from .admin_processes import blueprint

SHOWN_CASES = 500  # cases listed on the page, the differing ones first


@blueprint.get("/drafts/<int:draft_id>/whatif")
@login_required
def whatif_form(draft_id: int) -> Any:
    draft = processes.draft(kernel(), require_actor(), draft_id)
    return render_template("procedures/whatif_form.html", draft=draft, error="", since="")


@blueprint.post("/drafts/<int:draft_id>/whatif")
@login_required
def whatif_start(draft_id: int) -> Any:
    since_text = request.form.get("since", "").strip() if request.form.get("scope") == "since" else ""
    since: dt.datetime | None = None
    if since_text:
        try:
            since = dt.datetime.combine(dt.date.fromisoformat(since_text), dt.time(), CHINA_TZ)
        except ValueError:
            draft = processes.draft(kernel(), require_actor(), draft_id)
            error = _("日期格式应为 2026-01-31")
            page = render_template("procedures/whatif_form.html", draft=draft, error=error, since=since_text)
            return page, 422
    run_id = whatif_runs.start(kernel(), require_actor(), draft_id, since)
    return redirect(url_for("procedures.whatif_run", run_id=run_id), code=303)


@blueprint.get("/whatif/<run_id>")
@login_required
def whatif_run(run_id: str) -> Any:
    run = whatif_runs.get(kernel(), require_actor(), run_id)
    order = {code: index for index, code in enumerate(view.VERDICT_ORDER)}
    cases = sorted(run.cases, key=lambda c: (order.get(c["verdict"], 9), c["instance_id"]))
    return render_template(
        "procedures/whatif_run.html", run=run, cases=cases[:SHOWN_CASES], shown=SHOWN_CASES, view=view
    )


@blueprint.get("/whatif/<run_id>.json")
@login_required
def whatif_poll(run_id: str) -> Any:
    run = whatif_runs.get(kernel(), require_actor(), run_id)
    response = jsonify(
        status=run.status,
        finished=run.finished,
        done=run.done,
        total=run.total,
        percent=run.percent,
        progress_text=_("已试算 %(done)s / %(total)s 件", done=run.done, total=run.total),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
