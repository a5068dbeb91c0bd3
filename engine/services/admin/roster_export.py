"""The member roster as an Excel workbook, in the layout the import reads (`roster_columns`): the
sheet 党员花名册 with one member per row, and 填写说明 saying what each column holds."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ...actor import Actor
from ...kernel import Kernel
from .common import check_may_read
from .people import member_query, row_of
from .roster_columns import COLUMNS, cell_of
from .roster_read import SHEET

_HEADER_FILL = PatternFill("solid", fgColor="FBE9E7")
_LISTS = {
    "gender": '"男,女"',
    "political_quality": '"强,一般,较弱"',
    "work_ability": '"强,一般,较弱"',
    "organising_ability": '"强,一般,较弱"',
    "status": '"在册,已转出,已离开"',
}


def export_xlsx(kernel: Kernel, actor: Actor) -> bytes:
    """Every member, branch by branch, as the import reads them back."""
    check_may_read(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        members = [row_of(*row) for row in uow.session.execute(member_query())]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    _header(sheet)
    for member in members:
        values = {**member.__dict__, "branch": member.branch, "village": member.village}
        sheet.append([cell_of(c.field, values.get(c.field)) for c in COLUMNS])
    _formats(sheet, len(members))
    _help(book.create_sheet("填写说明"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header(sheet: Worksheet) -> None:
    sheet.append([c.header for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="B71C1C" if column.required else "000000")
        cell.fill = _HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = column.width + 2
    sheet.freeze_panes = "C2"


def _formats(sheet: Worksheet, count: int) -> None:
    last = max(count + 1, 2) + 500  # room for rows an administrator adds
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        if column.field in ("joined_party_on", "status_since"):
            for (cell,) in sheet.iter_rows(min_row=2, max_row=count + 1, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd"
        if column.field in ("code", "phone"):
            for (cell,) in sheet.iter_rows(min_row=2, max_row=count + 1, min_col=index, max_col=index):
                cell.number_format = "@"
        if column.field in _LISTS:
            rule = DataValidation(type="list", formula1=_LISTS[column.field], allow_blank=True)
            rule.error = "请从列表中选择"
            rule.add(f"{letter}2:{letter}{last}")
            sheet.add_data_validation(rule)


def _help(sheet: Worksheet) -> None:
    sheet.append(["列", "是否必填", "填写说明"])
    for column in COLUMNS:
        sheet.append([column.header, "必填" if column.required else "", column.help])
    sheet.append([])
    sheet.append(["说明", "", "按党员编号匹配已有党员；空白单元格：新党员取默认值，已有党员保持原值。"])
    sheet.append(
        ["", "", "导入前会逐行预览将新增、修改或拒绝的内容，确认后才保存；同一文件再次导入不会产生变化。"]
    )
    sheet.append(["", "", "转支部、转出、离开如涉及待办交接、责任区或示范岗，请在党员页面办理。"])
    for letter, width in (("A", 14), ("B", 10), ("C", 80)):
        sheet.column_dimensions[letter].width = width
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True)
