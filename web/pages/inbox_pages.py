"""The inbox tabs (待办, 已办, 我发起的, 抄送我的, 待签) and batch approval (批量审批)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.errors import FormInvalid
from xianfeng.engine.services import inbox, inbox_paging, inbox_view, tasks
from xianfeng.engine.services.inbox_paging import ListPage
from xianfeng.engine.services.tasks import BatchResult

from ..auth import login_required
from ..context import kernel, require_actor
from ..errors import title_of
from . import labels, presenters
from .case_text import outcome_words

blueprint = Blueprint("inbox", __name__, url_prefix="/inbox")


@blueprint.get("")
@login_required
def todo() -> Any:
    """A page of the to-do list by due date, filtered by procedure, branch and overdue. Tasks whose
    form allows 批量审批 (its ui.batch) can be ticked; the batch fieldset asks the first such form's
    batch decision, so only tasks of that same batch decision get a tick box."""
    view = inbox_view.todo_view(kernel(), require_actor(), request.args)
    rows = view.page.rows
    spec = next((row.batch for row in rows if row.batch), None)
    batchable = [row for row in rows if spec is not None and row.batch == spec]
    choices = (spec or {}).get("choices", {}).get("decision", [])
    page = render_template(
        "inbox/todo.html",
        tab="todo",
        rows=rows,
        view=view,
        listing=_listing(view.page, view.filters.as_query()),
        errors=view.errors_zh if labels.lang() == "zh_CN" else view.errors,
        batchable=batchable,
        batch_ids={row.id for row in batchable},
        batch_fields=(spec or {}).get("fields", []),
        decisions=[(code, labels.value_text("decision", code)) for code in choices],
        # Each case decided together shows its key facts in its row (the diagram's keyFields).
        facts={
            instance_id: presenters.data_rows(fields)
            for instance_id, fields in inbox.key_facts(
                kernel(), require_actor(), [row.instance_id for row in batchable]
            ).items()
        },
    )
    return page, 422 if view.errors else 200


@blueprint.get("/done")
@login_required
def done() -> Any:
    return _tab("inbox/done.html", "done", inbox_paging.done_page)


@blueprint.get("/started")
@login_required
def started() -> Any:
    ask, errors, errors_zh = inbox_view.list_ask(request.args)
    found = inbox_paging.started_page(kernel(), require_actor(), ask)
    for row in found.rows:
        row["outcome_text"] = outcome_words(row["outcome"], row["outcome_name"], row["outcome_name_en"])
    return _render_tab("inbox/started.html", "started", found, errors if labels.lang() == "en" else errors_zh)


@blueprint.get("/copies")
@login_required
def copies() -> Any:
    return _tab("inbox/copies.html", "copies", inbox_paging.copies_page)


@blueprint.get("/signing")
@login_required
def signing() -> Any:
    return _tab("inbox/signing.html", "signing", inbox_paging.signing_page)


def _tab(template: str, tab: str, list_page: Callable[..., ListPage[dict[str, Any]]]) -> Any:
    """A newest-first tab: a page of it after the `after` cursor, with the total."""
    ask, errors, errors_zh = inbox_view.list_ask(request.args)
    found = list_page(kernel(), require_actor(), ask)
    return _render_tab(template, tab, found, errors if labels.lang() == "en" else errors_zh)


def _render_tab(template: str, tab: str, found: ListPage[dict[str, Any]], errors: dict[str, str]) -> Any:
    page = render_template(template, tab=tab, rows=found.rows, listing=_listing(found, {}), errors=errors)
    return page, 422 if errors else 200


def _listing(found: ListPage[Any], query: dict[str, str]) -> dict[str, Any]:
    """What the pager needs: the total, whether this is the first page, and the next page's link."""
    size = request.args.get("limit", "").strip()
    kept = {**query, **({"limit": size} if size.isdigit() else {})}
    endpoint = request.endpoint or "inbox.todo"
    return {
        "total": found.total,
        "shown": len(found.rows),
        "first": url_for(endpoint, **kept) if request.args.get("after") else None,
        "next": url_for(endpoint, **kept, after=found.next) if found.next else None,
    }


@blueprint.post("/batch")
@login_required
def batch() -> Any:
    """批量审批: the ticked tasks with one decision and opinion; the page says what became of each."""
    task_ids = request.form.getlist("task_id")
    if not task_ids:
        flash(_("请至少勾选一项待办"), "error")
        return redirect(url_for("inbox.todo"))
    if request.form.get("decision_asked") and not request.form.get("decision"):
        flash(_("请选择审批决定"), "error")  # nothing is decided for the approver
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
