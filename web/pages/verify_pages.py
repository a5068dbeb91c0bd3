"""数据核验: run verify from the browser — the whole chain or chosen cases — as a background job,
watch its progress, read its verdict per case and per differing row, and download its report.

The engine decides who may verify what (the auditor and the committee: anything; a branch: its own
cases) and what a branch reads of a report; these views parse, make one service call and render.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from xianfeng.engine.errors import FormInvalid
from xianfeng.engine.services.audit import verify_runs
from xianfeng.engine.services.audit.verify_runs import VerifyRunBusy

from ..auth import login_required
from ..context import kernel, require_actor
from . import labels, verify_view

blueprint = Blueprint("verify", __name__, url_prefix="/audit/verify")


@blueprint.get("")
@login_required
def index() -> Any:
    return _index()


@blueprint.post("")
@login_required
def start() -> Any:
    whole = request.form.get("scope", "whole") == "whole"
    typed = request.form.get("cases", "")
    chosen: list[int] | None = None
    if not whole:
        chosen, problem = verify_view.parse_cases(typed)
        if problem:
            return _index(error=problem, typed=typed, status=422)
    try:
        run_id = verify_runs.start(kernel(), require_actor(), chosen)
    except FormInvalid as refused:
        errors = refused.errors_zh if labels.lang() == "zh_CN" else refused.errors
        return _index(error=errors.get("instances", refused.message), typed=typed, status=422)
    except VerifyRunBusy as busy:
        return _index(busy=busy, typed=typed, status=409)
    return redirect(url_for("verify.show", run_id=run_id), code=303)


def _index(error: str = "", typed: str = "", busy: VerifyRunBusy | None = None, status: int = 200) -> Any:
    actor = require_actor()
    runs = verify_runs.list_runs(kernel(), actor)
    page = render_template(
        "verify_runs.html",
        runs=runs,
        error=error,
        typed=typed,
        busy=busy,
        chosen_cases=bool(typed) or bool(error),
        branch_only=verify_runs.reader_branch(actor) is not None,
        view=verify_view,
    )
    return page, status


@blueprint.get("/<int:run_id>")
@login_required
def show(run_id: int) -> Any:
    run = verify_runs.get(kernel(), require_actor(), run_id)
    return render_template("verify_run.html", run=run, report=run.report or {}, view=verify_view)


@blueprint.get("/<int:run_id>.json")
@login_required
def progress(run_id: int) -> Any:
    response = jsonify(verify_view.poll(verify_runs.get(kernel(), require_actor(), run_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/<int:run_id>/report.json")
@login_required
def report_json(run_id: int) -> Any:
    text = verify_runs.report_json(kernel(), require_actor(), run_id)
    return _download(text, "application/json", run_id, "json")


@blueprint.get("/<int:run_id>/report.txt")
@login_required
def report_text(run_id: int) -> Any:
    text = verify_runs.report_text(kernel(), require_actor(), run_id)
    return _download(text, "text/plain", run_id, "txt")


def _download(text: str, media_type: str, run_id: int, suffix: str) -> Response:
    response = Response(text.encode("utf-8"), content_type=f"{media_type}; charset=utf-8")
    name = gettext("数据核验报告") + f"-{run_id}.{suffix}"
    # The Chinese name as RFC 5987 `filename*`, with an ASCII fallback (as Werkzeug's send_file does).
    response.headers["Content-Disposition"] = (
        f"attachment; filename=verify-report-{run_id}.{suffix}; filename*=UTF-8''{quote(name)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
