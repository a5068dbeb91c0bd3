"""节假日: the holiday table (`xianfeng holidays`) as a page: public holidays and make-up working
days (调休) for years the packaged calendar lacks, or corrections to it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import XianfengError
from xianfeng.engine.services.admin import holidays
from xianfeng.web.errors import status_of

from ...auth import login_required
from ...context import kernel, require_actor
from .blueprint import blueprint
from .common import day, form, number, said

KINDS = ("holiday", "workday")


def _year() -> int:
    chosen = number(request.args.get("year") or form("year"))
    return chosen if chosen and 2000 <= chosen <= 2100 else kernel().clock.now().astimezone(CHINA_TZ).year


def _page(year: int, error: XianfengError | None = None) -> Any:
    days = holidays.list_days(kernel(), require_actor(), year)
    page = render_template(
        "admin/holidays.html",
        days=days,
        year=year,
        years=range(year - 2, year + 3),
        kinds=KINDS,
        error=said(error) if error else "",
        given=request.form if error else {},
    )
    return page, status_of(error) if error else 200


@blueprint.get("/holidays")
@login_required
def holidays_page() -> Any:
    return _page(_year())


@blueprint.post("/holidays")
@login_required
def add_holiday() -> Any:
    chosen = day(form("day"))
    kind = form("kind")
    if chosen is None or kind not in KINDS:
        return _page(_year(), XianfengError("give a date and a kind", zh=_("请填写日期并选择类型")))
    try:
        holidays.add(kernel(), require_actor(), chosen, kind, form("name"))
    except XianfengError as error:
        return _page(chosen.year, error)
    flash(_("已登记 %(day)s", day=chosen.isoformat()), "success")
    return redirect(url_for("admin.holidays_page", year=chosen.year))


@blueprint.post("/holidays/<day_text>/remove")
@login_required
def remove_holiday(day_text: str) -> Any:
    chosen = day(day_text)
    if chosen is None:
        return _page(_year(), XianfengError("not a date", zh=_("日期格式不正确")))
    removed = holidays.remove(kernel(), require_actor(), chosen)
    flash(
        _("已删除 %(day)s", day=chosen.isoformat())
        if removed
        else _("%(day)s 未登记", day=chosen.isoformat()),
        "success",
    )
    return redirect(url_for("admin.holidays_page", year=chosen.year))
