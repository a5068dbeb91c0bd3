"""统计分析: the statistics page for the town committee (the whole town, or one branch) and each
branch (its own), with charts drawn by the bundled ECharts script and the same figures as Excel.

The figures reach the script as JSON in a data block of the page (no inline script); the tables
below each chart hold the same numbers for readers and printers without the script.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext as _

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.documents.tables_xlsx import Sheet, tables_xlsx
from xianfeng.engine.services import stats
from xianfeng.engine.services.stats import Figures, StatsQuery

from ..auth import login_required
from ..context import kernel, require_actor
from . import stats_view

blueprint = Blueprint("stats", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEARS_OFFERED = 5


class BadQuery(ValueError):
    """A filter that is not a number: said on the page, nothing computed."""


def _number(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BadQuery(name)
    return int(raw)


def _query() -> StatsQuery:
    return StatsQuery(branch_id=_number("branch"), year=_number("year"))


def _scope_text(f: Figures) -> str:
    return f.branches.get(f.branch_id, "") if f.branch_id is not None else _("全镇")


def _years(f: Figures) -> list[int]:
    current = f.generated_at.astimezone(CHINA_TZ).year
    offered = set(range(current - YEARS_OFFERED + 1, current + 1)) | {c.year for c in f.satisfaction}
    if f.year is not None:
        offered.add(f.year)
    return sorted(offered, reverse=True)


def _bad_query(name: str) -> tuple[str, int]:
    message = _("年度必须是数字，例如 2026") if name == "year" else _("党支部编号必须是数字")
    return render_template("stats.html", error=message, f=None), 422


@blueprint.get("/stats")
@login_required
def index() -> Any:
    try:
        query = _query()
    except BadQuery as bad:
        return _bad_query(str(bad))
    figures = stats.figures(kernel(), require_actor(), query)
    tables, charts = stats_view.view(figures)
    return render_template(
        "stats.html",
        f=figures,
        error="",
        scope=_scope_text(figures),
        tables={t.id: t for t in tables},
        data={"charts": [c.as_json() for c in charts]},
        years=_years(figures),
        branches=figures.choosable,
    )


@blueprint.get("/stats.xlsx")
@login_required
def export() -> Any:
    try:
        query = _query()
    except BadQuery as bad:
        return _bad_query(str(bad))
    figures = stats.figures(kernel(), require_actor(), query)
    tables, _charts = stats_view.view(figures)
    facts = [
        (_("范围"), _scope_text(figures)),
        (_("年度"), str(figures.year) if figures.year else _("全部年度")),
        (_("统计时间"), f"{figures.generated_at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}"),
    ]
    data = tables_xlsx(_("统计分析"), facts, [Sheet(t.title, t.headers, t.rows, t.note) for t in tables])
    name = f"{_('统计分析')}-{_scope_text(figures)}{'-' + str(figures.year) if figures.year else ''}.xlsx"
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
