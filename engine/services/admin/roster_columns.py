"""The member roster's columns (党员花名册) and how each cell is read: the one layout that export
writes and import reads, so that export → edit in Excel → import works.

A blank cell means "not given": a new member gets the default, an existing one keeps the value.
Each unreadable cell is a problem that names the column and says what it should hold.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .member_fields import GRADE_ZH, STATUS_ZH, Problem


@dataclass(frozen=True)
class Column:
    header: str
    header_en: str
    field: str
    required: bool
    width: int
    help: str  # for the sheet 填写说明 and the README
    help_en: str = ""


_GRADE = "强、一般 或 较弱（R8）；新党员留空为“一般”"
_GRADE_EN = "强, 一般 or 较弱 (strong, adequate, weak; R8); a new member's blank is 一般"
COLUMNS = (
    Column(
        "党员编号",
        "Member code",
        "code",
        True,
        14,
        "必填。党员的唯一编号，导入时按此匹配已有党员",
        "Required. The member's unique code; rows are matched to members by it",
    ),
    Column("姓名", "Name", "name", True, 10, "必填", "Required"),
    Column("性别", "Gender", "gender", False, 6, "男 或 女", "男 (male) or 女 (female)"),
    Column(
        "出生年份", "Birth year", "birth_year", False, 10, "四位数年份，如 1975", "Four digits, e.g. 1975"
    ),
    Column(
        "入党日期",
        "Joined the Party",
        "joined_party_on",
        False,
        12,
        "日期，如 2001-07-01",
        "A date, e.g. 2001-07-01",
    ),
    Column("联系电话", "Phone", "phone", False, 14, "按文本填写", "As text"),
    Column(
        "所在党支部",
        "Branch",
        "branch",
        True,
        18,
        "必填。党支部的名称或代码，须已在“组织机构”中建立",
        "Required. The branch's name or code; it must exist under Organisation",
    ),
    Column(
        "所在嘎查村",
        "Village",
        "village",
        False,
        12,
        "嘎查村的名称或代码，须属于所在党支部",
        "The village's name or code; it must be one of the branch's",
    ),
    Column("政治素质", "Political quality", "political_quality", False, 10, _GRADE, _GRADE_EN),
    Column("业务能力", "Work ability", "work_ability", False, 10, _GRADE, _GRADE_EN),
    Column("组织能力", "Organising ability", "organising_ability", False, 10, _GRADE, _GRADE_EN),
    Column(
        "状态",
        "Status",
        "status",
        False,
        8,
        "在册、已转出 或 已离开；新党员留空为“在册”",
        "在册, 已转出 or 已离开 (on the roll, moved out, left); a new member's blank is 在册",
    ),
    Column(
        "状态日期",
        "Status since",
        "status_since",
        False,
        12,
        "状态生效的日期（转入本支部、转出或离开的日期）",
        "When the status took effect (joining the branch, moving out, leaving)",
    ),
    Column("备注", "Note", "note", False, 24, "", ""),
)
HEADERS = tuple(c.header for c in COLUMNS)
_BY_HEADER = {c.header: c for c in COLUMNS} | {c.header_en.casefold(): c for c in COLUMNS}

GRADE_WORDS = {
    "强": "strong",
    "较强": "strong",
    "一般": "adequate",
    "中": "adequate",
    "较弱": "weak",
    "弱": "weak",
}
GRADE_WORDS |= {code: code for code in GRADE_ZH}
STATUS_WORDS = {
    "在册": "active",
    "正常": "active",
    "已转出": "moved",
    "转出": "moved",
    "已离开": "left",
    "离开": "left",
}
STATUS_WORDS |= {code: code for code in STATUS_ZH}
GENDER_WORDS = {"男": "男", "女": "女", "male": "男", "female": "女", "m": "男", "f": "女"}
_WORDS = {
    "political_quality": GRADE_WORDS,
    "work_ability": GRADE_WORDS,
    "organising_ability": GRADE_WORDS,
    "status": STATUS_WORDS,
    "gender": GENDER_WORDS,
}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def column_of(header: Any) -> Column | None:
    text = str(header or "").strip()
    return _BY_HEADER.get(text) or _BY_HEADER.get(text.casefold())


def text(value: Any) -> str | None:
    """A cell as text; a number typed into a text column (a phone, a code) without its ".0"."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    found = str(value).strip()
    return found or None


def read_cell(column: Column, value: Any) -> tuple[Any, Problem | None]:
    """The cell's value for the member field, or a problem saying what the column should hold."""
    raw = text(value)
    if raw is None:
        return None, None
    if column.field == "birth_year":
        return _year(column, raw)
    if column.field in ("joined_party_on", "status_since"):
        return _date(column, value, raw)
    words = _WORDS.get(column.field)
    if words is None:
        return raw, None
    found = words.get(raw) or words.get(raw.casefold())
    if found is None:
        en, zh = _EXPECTED_EN[column.field], _EXPECTED_ZH[column.field]
        return None, Problem(
            column.field, f"{column.header_en} {raw!r} is not {en}", f"{column.header}“{raw}”应为{zh}"
        )
    return found, None


def _year(column: Column, raw: str) -> tuple[int | None, Problem | None]:
    year = raw.removesuffix("年")
    if year.isdigit() and len(year) == 4:
        return int(year), None
    return None, _bad(column, raw, "a four-digit year", "四位数年份，如 1975")


def _date(column: Column, value: Any, raw: str) -> tuple[dt.date | None, Problem | None]:
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    match = _DATE.match(raw) or _COMPACT_DATE.match(raw)
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups())), None
        except ValueError:
            pass
    return None, _bad(column, raw, "a date such as 2001-07-01", "有效日期，如 2001-07-01")


def _bad(column: Column, raw: str, en: str, zh: str) -> Problem:
    return Problem(column.field, f"{column.header_en} {raw!r} is not {en}", f"{column.header}“{raw}”不是{zh}")


_EXPECTED_EN = {
    "political_quality": "strong, adequate or weak",
    "work_ability": "strong, adequate or weak",
    "organising_ability": "strong, adequate or weak",
    "status": "active, moved or left",
    "gender": "男 or 女",
}
_EXPECTED_ZH = {
    "political_quality": "强、一般或较弱",
    "work_ability": "强、一般或较弱",
    "organising_ability": "强、一般或较弱",
    "status": "在册、已转出或已离开",
    "gender": "男或女",
}


def cell_of(field: str, value: Any) -> Any:
    """A member's value as the roster writes it (grades and statuses in words, dates as dates)."""
    if value is None:
        return ""
    if field in ("political_quality", "work_ability", "organising_ability"):
        return GRADE_ZH.get(value, value)
    if field == "status":
        return STATUS_ZH.get(value, value)
    return value
