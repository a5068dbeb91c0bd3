"""评先选优台账: the commendation ledger of a year (R6, R7, R11), its Excel download, and listing.

Who sees which members is the service's decision (town-wide roles all, others their branch);
whether a member is eligible is the listing procedure's decision table, and listing starts that
procedure. A refused listing re-renders the ledger with the table's reason, and nothing is stored.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import NotFound, RuleViolation
from xianfeng.engine.services import ledger
from xianfeng.engine.services.ledger import LedgerEntry

from ..auth import login_required
from ..context import kernel, require_actor

blueprint = Blueprint("ledger", __name__, url_prefix="/ledger")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_YEAR, LAST_YEAR = 2000, 2100
YEARS_OFFERED = 5


def this_year() -> int:
    return kernel().clock.now().astimezone(CHINA_TZ).year


def _year(raw: str) -> int:
    """The year asked for, or this year when the query names none; a year that is not one is
    refused, naming what was asked (never silently replaced by this year)."""
    if not raw.strip():
        return this_year()
    year = int(raw) if raw.strip().isdigit() else 0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound(
            f"no year {raw.strip()[:20]!r} (give a year from {FIRST_YEAR} to {LAST_YEAR})", field="year"
        )
    return year


def _checked(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    return year


def _years(chosen: int) -> list[int]:
    """The picker's years: the last few, newest first, and the one shown if older."""
    current = this_year()
    return sorted({*range(current - YEARS_OFFERED + 1, current + 1), chosen}, reverse=True)


def _refusal(error: RuleViolation, year: int, member_id: int, entries: list[LedgerEntry]) -> str:
    """The listing procedure's refusal, in its decision table's words, framed for the page."""
    name = next((e.member for e in entries if e.member_id == member_id), str(member_id))
    return _(
        "不能将 %(member)s 列入 %(year)s 年表彰对象：%(reason)s", member=name, year=year, reason=error.message
    )


def _render(year: int, refused: RuleViolation | None = None, member_id: int = 0) -> tuple[str, int]:
    entries = ledger.ledger(kernel(), require_actor(), year)
    page = render_template(
        "ledger.html",
        year=year,
        years=_years(year),
        entries=entries,
        eligible=sum(1 for e in entries if e.eligible),
        blocked=sum(1 for e in entries if e.blocks),
        refusal=_refusal(refused, year, member_id, entries) if refused else "",
    )
    return page, 422 if refused else 200


@blueprint.get("")
@login_required
def index() -> Any:
    return _render(_year(request.args.get("year", "")))


@blueprint.get("/<int:year>.xlsx")
@login_required
def export(year: int) -> Any:
    data = ledger.export_xlsx(kernel(), require_actor(), _checked(year))
    # Werkzeug sends the Chinese name as RFC 5987 `filename*` with an ASCII fallback.
    return send_file(
        io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=f"评先选优台账-{year}.xlsx"
    )


@blueprint.post("/<int:year>/list")
@login_required
def list_member(year: int) -> Any:
    raw = request.form.get("member_id", "")
    if not raw.isdigit():
        abort(400)
    try:
        ledger.list_for_commendation(kernel(), require_actor(), _checked(year), int(raw))
    except RuleViolation as refused:
        return _render(year, refused, int(raw))
    flash(_("已列入 %(year)s 年表彰对象", year=year), "success")
    return redirect(url_for("ledger.index", year=year, _anchor=f"member-{raw}"))
