"""The case list as an Excel workbook: one row per case, every case the filters match (up to the
export's cap, which the sheet then states), headed by what was asked and when."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from xianfeng.engine.services.audit.case_filters import CaseFilters
from xianfeng.engine.services.audit.cases import CaseExport, CaseRow

from . import case_text, labels
from .layout import china_time

WIDTHS = (8, 44, 22, 8, 18, 14, 12, 22, 17, 17, 17, 36)


def headers() -> list[str]:
    return [
        _("编号"),
        _("标题"),
        _("流程"),
        _("版本"),
        _("党支部"),
        _("村"),
        _("状态"),
        _("结果"),
        _("发起时间"),
        _("办结时间"),
        _("最近更新"),
        _("当前步骤"),
    ]


def summary(result: CaseExport, now: dt.datetime) -> str:
    text = _("案件查询：共 %(total)s 件，导出于 %(time)s", total=result.total, time=china_time(now))
    if result.capped:
        text += labels.paren(_("仅含最新的 %(cap)s 件，请缩小筛选范围导出其余案件", cap=result.cap))
    return text


def conditions(filters: CaseFilters) -> str:
    """What was asked, field by field (codes and numbers as given)."""
    words = {
        "procedure": _("流程"),
        "status": _("状态"),
        "outcome": _("结果"),
        "branch_id": _("党支部编号"),
        "village_id": _("村编号"),
        "member_id": _("党员编号"),
        "started_from": _("发起日期自"),
        "started_to": _("发起日期至"),
        "q": _("标题含"),
    }
    asked = filters.as_query()
    if "status" in asked:
        asked["status"] = labels.status(asked["status"])
    parts = [labels.pair(words[name], value) for name, value in asked.items()]
    return labels.pair(_("筛选条件"), labels.joined(parts) if parts else _("全部"))


def workbook(result: CaseExport, filters: CaseFilters, now: dt.datetime) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("案件查询")
    sheet.append([summary(result, now)])
    sheet.append([conditions(filters)])
    sheet.append(headers())
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in result.rows:
        sheet.append(_line(row))
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[chr(ord("A") + index - 1)].width = width
    for cell in sheet["B"][3:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _line(row: CaseRow) -> list[Any]:
    return [
        row.id,
        row.title,
        case_text.procedure(row),
        row.version,
        row.branch,
        row.village,
        labels.status(row.status),
        case_text.outcome(row),
        china_time(row.started_at),
        china_time(row.ended_at) if row.ended_at else "",
        china_time(row.updated_at),
        case_text.waiting(row),
    ]
