"""党员花名册: export the roster as Excel, and import it: upload → a preview row by row → confirm.

Between the preview and the confirmation the file travels with the page: the preview form carries
it (base64, in parts under the form-field size limit) with its sha256 and the digest of the plan
shown. So any server process can take the confirmation, nothing is kept on the server for a
preview that is never confirmed, and the import re-reads and re-checks exactly the bytes previewed
(a different file, or a database that moved since, is refused with the new preview)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from typing import Any

from flask import render_template, request, send_file
from flask_babel import gettext as _

from xianfeng.engine.errors import RuleViolation, XianfengError
from xianfeng.engine.services.admin import roster, roster_export
from xianfeng.engine.services.admin.roster_columns import COLUMNS
from xianfeng.web.errors import status_of

from ...auth import login_required
from ...context import kernel, require_actor
from .blueprint import blueprint
from .common import form, said

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PART = 300_000  # characters of base64 per form field: Flask takes at most 500 kB per text part


@blueprint.get("/roster")
@login_required
def roster_page() -> Any:
    return _upload_page()


def _upload_page(error: str = "", status: int = 200) -> Any:
    return render_template("admin/roster.html", columns=COLUMNS, error=error), status


@blueprint.get("/roster.xlsx")
@login_required
def roster_export_file() -> Any:
    data = roster_export.export_xlsx(kernel(), require_actor())
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name="党员花名册.xlsx")


@blueprint.post("/roster/preview")
@login_required
def roster_preview() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page(_("请选择要导入的 Excel 文件（.xlsx）"), 422)
    content = upload.read()
    plan = roster.preview(kernel(), require_actor(), content, upload.filename)
    return _preview_page(plan, content)


def _preview_page(plan: roster.RosterPlan, content: bytes, error: str = "", status: int = 200) -> Any:
    encoded = base64.b64encode(content).decode("ascii")
    parts = [encoded[i : i + PART] for i in range(0, len(encoded), PART)]
    page = render_template(
        "admin/roster_preview.html", plan=plan, parts=parts, error=error, reason=form("reason")
    )
    return page, status


@blueprint.post("/roster/import")
@login_required
def roster_import() -> Any:
    filename = form("filename")[:255] or "roster.xlsx"
    try:
        content = base64.b64decode("".join(request.form.getlist("content")), validate=True)
    except (binascii.Error, ValueError):
        return _upload_page(_("预览页面已损坏，请重新上传文件"), 400)
    if hashlib.sha256(content).hexdigest() != form("sha256"):
        return _upload_page(_("确认的文件与预览的文件不一致，请重新上传"), 400)
    try:
        plan = roster.import_roster(
            kernel(), require_actor(), content, filename, form("digest") or None, form("reason")
        )
    except roster.RosterRefused as refused:
        return _preview_page(refused.plan, content, said(refused), status_of(refused))
    except (RuleViolation, XianfengError) as error:
        return _upload_page(said(error), status_of(error))
    return render_template("admin/roster_done.html", plan=plan)
