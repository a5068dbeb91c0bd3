"""案件查询: every case, running or ended, found by filters, paged newest first, and downloaded as
Excel with the same filters.

The service decides who may search which branch and checks every filter; a refused filter
re-renders the form with the reason beside its field (422), and a filter naming another branch
is refused (403) rather than ignored.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.services.audit import cases
from xianfeng.engine.services.audit.case_filters import FILTER_FIELDS, CaseFilters

from ..auth import login_required
from ..context import kernel, require_actor
from . import case_export, case_text, labels

blueprint = Blueprint("cases", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_CAP = cases.EXPORT_CAP
MORE_FIELDS = ("branch_id", "village_id", "member_id", "started_from", "started_to")


@blueprint.get("/instances")
@login_required
def index() -> Any:
    found = cases.browse(kernel(), require_actor(), request.args)
    chosen = {name: request.args.get(name, "").strip() for name in FILTER_FIELDS}
    limit = request.args.get("limit", "").strip()
    procedures = {p.value: labels.process_name(p.name) for p in found.choices.known.procedures}
    page = render_template(
        "cases.html",
        found=found,
        page=found.page,
        chosen=chosen,
        more_open=any(chosen[name] for name in MORE_FIELDS) or bool(found.errors),
        errors=found.errors_zh if labels.lang() == "zh_CN" else found.errors,
        query={name: value for name, value in chosen.items() if value},
        paging={name: value for name, value in [*chosen.items(), ("limit", limit)] if value},
        outcome_groups=case_text.grouped(found.choices.known.outcomes, procedures),
        view=case_text,
    )
    return page, 422 if found.errors else 200


@blueprint.get("/instances.xlsx")
@login_required
def export() -> Any:
    filters = CaseFilters.from_query(request.args)
    result = cases.export(kernel(), require_actor(), filters, cap=EXPORT_CAP)
    now = kernel().clock.now()
    data = case_export.workbook(result, filters, now)
    # Werkzeug sends the Chinese name as RFC 5987 `filename*` with an ASCII fallback.
    name = gettext("案件查询") + f"-{now.astimezone(CHINA_TZ):%Y%m%d}.xlsx"
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
