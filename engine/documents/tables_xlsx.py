"""Tables as an Excel workbook: a cover sheet of facts, then one sheet per table with bold headers,
frozen header row and widths fitted to the text (a CJK character takes two columns)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    note: str = ""


def _width(value: Any) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str("" if value is None else value))


def _sheet_name(title: str, taken: set[str]) -> str:
    name = _SHEET_FORBIDDEN.sub("_", title)[:31] or "Sheet"
    base, n = name, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def tables_xlsx(cover_title: str, facts: Sequence[tuple[str, Any]], sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    cover = book.active
    taken: set[str] = set()
    cover.title = _sheet_name(cover_title, taken)
    for label, value in facts:
        cover.append([label, value])
    for sheet in sheets:
        page = book.create_sheet(_sheet_name(sheet.title, taken))
        page.append(list(sheet.headers))
        for cell in page[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            page.append(list(row))
        if sheet.note:
            page.append([])
            page.append([sheet.note])
        page.freeze_panes = "A2"
    for page in book.worksheets:
        for index, column in enumerate(page.iter_cols(), start=1):
            widest = max((_width(c.value) for c in column), default=8)
            page.column_dimensions[get_column_letter(index)].width = max(8, min(60, widest + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
