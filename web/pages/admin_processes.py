"""流程管理: every process with its versions, the editor of a draft (bpmn-js, dmn-js, forms with a
live preview), publishing with a reason, and the difference of two versions.

The engine decides who may do what (administrators edit and publish; the committee and auditors
read) and checks every draft on save; these views parse, make one service call and render. The
editor's scripts get their data from `<script type="application/json">` blocks and talk to the
save and preview endpoints with the page's CSRF token in a header.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from xianfeng.engine.errors import NotFound, RuleViolation, XianfengError
from xianfeng.engine.services.admin import process_editing, processes
from xianfeng.forms import FormDefinitionError, load_form

from ..auth import login_required
from ..context import kernel, require_actor
from ..errors import status_of
from . import admin_processes_view as view
from . import formview

blueprint = Blueprint("procedures", __name__, url_prefix="/admin/processes")
MAX_FILE_CHARS = 2_000_000  # one diagram or form as text; the shipped ones are under 60,000


@blueprint.get("")
@login_required
def index() -> Any:
    entries = processes.catalogue(kernel(), require_actor())
    return render_template("procedures/index.html", entries=entries, view=view)


@blueprint.post("/<process_key>/draft")
@login_required
def open_draft(process_key: str) -> Any:
    draft = processes.open_draft(kernel(), require_actor(), process_key)
    return redirect(url_for("procedures.editor", draft_id=draft.id), code=303)


@blueprint.get("/drafts/<int:draft_id>")
@login_required
def editor(draft_id: int) -> Any:
    return _editor(draft_id)


def _editor(draft_id: int, error: str = "", reason: str = "", status: int = 200) -> Any:
    opened = process_editing.editor(kernel(), require_actor(), draft_id)
    page = render_template(
        "procedures/editor.html",
        opened=opened,
        draft=opened.draft,
        data=view.editor_data(opened),
        error=error,
        reason=reason,
        view=view,
    )
    return page, status


@blueprint.post("/drafts/<int:draft_id>/save")
@login_required
def save(draft_id: int) -> Any:
    """The editor's save: {"files": {name: text}} in, the draft's problems out (JSON)."""
    body = request.get_json(silent=True)
    files = body.get("files") if isinstance(body, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_FILE_CHARS for k, v in files.items()
    ):
        return jsonify(code="bad_request", message=_("请求内容不是 {文件名: 文本} 的 JSON 对象")), 400
    try:
        draft = processes.save_draft(kernel(), require_actor(), draft_id, files)
    except XianfengError as refused:
        return jsonify(code=refused.code, message=view.said(refused)), status_of(refused)
    return jsonify(view.saved(draft))


@blueprint.post("/drafts/<int:draft_id>/publish")
@login_required
def publish(draft_id: int) -> Any:
    reason = request.form.get("reason", "").strip()
    try:
        deployed = processes.publish(kernel(), require_actor(), draft_id, reason)
    except (RuleViolation, NotFound) as refused:
        return _editor(draft_id, error=view.said(refused), reason=reason, status=status_of(refused))
    except XianfengError as refused:
        if refused.code != "diagram_invalid":
            raise
        return _editor(draft_id, error=view.said(refused), reason=reason, status=422)
    flash(view.published_text(deployed), "success")
    return redirect(url_for("procedures.index"), code=303)


@blueprint.post("/drafts/<int:draft_id>/discard")
@login_required
def discard(draft_id: int) -> Any:
    processes.discard(kernel(), require_actor(), draft_id)
    flash(_("草稿 #%(id)s 已放弃", id=draft_id), "success")
    return redirect(url_for("procedures.index"), code=303)


@blueprint.get("/<process_key>/diff")
@login_required
def diff(process_key: str) -> Any:
    old, new = view.version_number(request.args.get("old")), view.version_number(request.args.get("new"))
    if old is None or new is None:
        raise NotFound(
            "choose two versions to compare (?old=1&new=2)",
            zh="请选择要比较的两个版本",
            process_key=process_key,
        )
    comparison = process_editing.compare(kernel(), require_actor(), process_key, old, new)
    return _diff_page(comparison, draft_id=None)


@blueprint.get("/drafts/<int:draft_id>/diff")
@login_required
def draft_diff(draft_id: int) -> Any:
    return _diff_page(process_editing.compare_draft(kernel(), require_actor(), draft_id), draft_id=draft_id)


def _diff_page(comparison: process_editing.Comparison, draft_id: int | None) -> Any:
    return render_template(
        "procedures/diff.html",
        comparison=comparison,
        draft_id=draft_id,
        data=view.diff_data(comparison),
        view=view,
    )


@blueprint.post("/forms/preview")
@login_required
def preview_form() -> Any:
    """A form file as the task page would draw it, in Chinese and in English (an HTML fragment), or
    why it cannot be loaded. Only readers of the procedures may ask; nothing is stored."""
    processes.check_reader(require_actor())
    body = request.get_json(silent=True)
    name = body.get("name") if isinstance(body, dict) else None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(name, str) or not isinstance(text, str) or len(text) > MAX_FILE_CHARS:
        return jsonify(code="bad_request", message=_("请求内容应为 {name, text}")), 400
    try:
        form = load_form(name, text.encode("utf-8"))
    except FormDefinitionError as broken:
        return jsonify(ok=False, message=str(broken)), 200
    rendered = {}
    for code in ("zh_CN", "en"):
        with force_locale(code):
            rendered[code] = render_template(
                "procedures/_form_preview.html", form=form, fields=formview.fields_of(form), lang=code
            )
    return jsonify(ok=True, zh_CN=rendered["zh_CN"], en=rendered["en"])
