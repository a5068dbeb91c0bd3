"""Reading a roster workbook into rows of cells by column: the file's own problems (not an .xlsx,
too large, a required column missing) are found here, each row's in `roster`."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook

from .roster_columns import COLUMNS, Column, column_of, text

SHEET = "党员花名册"
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


@dataclass(frozen=True)
class Note:
    en: str
    zh: str


@dataclass
class Sheet:
    rows: list[tuple[int, dict[Column, Any]]] = field(default_factory=list)  # (Excel row number, cells)
    problems: list[Note] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # headers that are not roster columns


def read(content: bytes) -> Sheet:
    sheet = Sheet()
    if len(content) > MAX_BYTES:
        sheet.problems.append(
            Note(
                f"the file is {len(content)} bytes; a roster may have at most {MAX_BYTES} bytes",
                f"文件过大（{len(content) // 1024} KB），花名册最大 {MAX_BYTES // 1024 // 1024} MB",
            )
        )
        return sheet
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        sheet.problems.append(
            Note(
                "the file is not an Excel workbook (.xlsx)",
                "文件不是有效的 Excel 工作簿（.xlsx）：请用 Excel 另存为 .xlsx 后再上传",
            )
        )
        return sheet
    try:
        worksheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        _read_rows(sheet, worksheet.iter_rows(values_only=True))
    finally:
        book.close()
    return sheet


def _read_rows(sheet: Sheet, rows: Any) -> None:
    header = next(rows, None)
    columns = _columns(sheet, header or ())
    if sheet.problems:
        return
    for number, values in enumerate(rows, start=2):
        cells = {column: values[i] for i, column in columns.items() if i < len(values)}
        if all(text(v) is None for v in cells.values()):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            sheet.problems.append(
                Note(f"a roster may have at most {MAX_ROWS} rows", f"花名册最多 {MAX_ROWS} 行，请分批导入")
            )
            return
        sheet.rows.append((number, cells))
    if not sheet.rows:
        sheet.problems.append(Note("the roster has no rows below its header", "花名册在表头下没有任何党员行"))


def _columns(sheet: Sheet, header: tuple[Any, ...]) -> dict[int, Column]:
    found: dict[int, Column] = {}
    for index, title in enumerate(header):
        column = column_of(title)
        if column is None:
            if text(title):
                sheet.ignored.append(str(text(title)))
            continue
        if column in found.values():
            sheet.problems.append(
                Note(f"the column {column.header_en} appears twice", f"表头“{column.header}”重复")
            )
        found[index] = column
    missing = [c for c in COLUMNS if c.required and c not in found.values()]
    if missing:
        names = "、".join(c.header for c in missing)
        sheet.problems.append(
            Note(
                "the first row lacks the required column(s) " + ", ".join(c.header_en for c in missing),
                f"第 1 行表头缺少必填列：{names}（请使用导出的花名册格式）",
            )
        )
    return found
