"""The inbox tabs (待办, 已办, 我发起的, 抄送我的, 待签) and batch approval (批量审批)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.errors import FormInvalid
from xianfeng.engine.services import inbox, tasks
from xianfeng.engine.services.tasks import BatchResult

from ..auth import login_required
from ..context import kernel, require_actor
from ..errors import title_of
from . import labels
from .case_text import outcome_words

blueprint = Blueprint("inbox", __name__, url_prefix="/inbox")


@blueprint.get("")
@login_required
def todo() -> Any:
    """Tasks whose form allows 批量审批 (its ui.batch) can be ticked; the batch fieldset asks the
    first such form's batch decision, so only tasks of that same batch decision get a tick box."""
    rows = inbox.tasks_for(kernel(), require_actor())
    spec = next((row.batch for row in rows if row.batch), None)
    batchable = [row for row in rows if spec is not None and row.batch == spec]
    choices = (spec or {}).get("choices", {}).get("decision", [])
    return render_template(
        "inbox/todo.html",
        tab="todo",
        rows=rows,
        batchable=batchable,
        batch_ids={row.id for row in batchable},
        batch_fields=(spec or {}).get("fields", []),
        decisions=[(code, labels.value_text("decision", code)) for code in choices],
    )


@blueprint.get("/done")
@login_required
def done() -> Any:
    return render_template("inbox/done.html", tab="done", rows=inbox.done_by(kernel(), require_actor()))


@blueprint.get("/started")
@login_required
def started() -> Any:
    rows = inbox.started_by(kernel(), require_actor())
    for row in rows:
        row["outcome_text"] = outcome_words(row["outcome"], row["outcome_name"], row["outcome_name_en"])
    return render_template("inbox/started.html", tab="started", rows=rows)


@blueprint.get("/copies")
@login_required
def copies() -> Any:
    rows = inbox.copied_to(kernel(), require_actor())
    return render_template("inbox/copies.html", tab="copies", rows=rows)


@blueprint.get("/signing")
@login_required
def signing() -> Any:
    rows = inbox.signing_for(kernel(), require_actor())
    return render_template("inbox/signing.html", tab="signing", rows=rows)


@blueprint.post("/batch")
@login_required
def batch() -> Any:
    """批量审批: the ticked tasks with one decision and opinion; the page says what became of each."""
    task_ids = request.form.getlist("task_id")
    if not task_ids:
        flash(_("请至少勾选一项待办"), "error")
        return redirect(url_for("inbox.todo"))
    posted = {
        name: request.form.get(name, "").strip() for name in ("decision", "opinion") if name in request.form
    }
    data = {name: value for name, value in posted.items() if value}  # empty means "not given"
    results = tasks.complete_many(kernel(), require_actor(), task_ids, data)
    titles = {task_id: request.form.get(f"title:{task_id}", task_id) for task_id in task_ids}
    return render_template("inbox/batch_result.html", rows=[_result_row(r, titles) for r in results])


def _result_row(result: BatchResult, titles: dict[str, str]) -> dict[str, Any]:
    """What happened to one task of a batch, in words."""
    row: dict[str, Any] = {"task_id": result.task_id, "title": titles.get(result.task_id, result.task_id)}
    if result.outcome is not None:
        row.update(ok=True, instance_id=result.outcome.instance_id, text=_("已办理"))
        if result.outcome.outcome:
            done = result.outcome
            row["text"] += labels.paren(outcome_words(done.outcome, done.outcome_name, done.outcome_name_en))
        return row
    assert result.error is not None
    details: list[str] = []
    if isinstance(result.error, FormInvalid):
        by_language = result.error.errors if labels.lang() == "en" else result.error.errors_zh
        details = list(by_language.values())
    row.update(ok=False, text=title_of(result.error.code), details=details)
    return row
