"""A member's fields as administrators give them (a form or a roster row), checked the same way for
both: each problem names its field and says what is wrong in English and Chinese."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from ...errors import FormInvalid

GRADES = ("strong", "adequate", "weak")  # R8's three grades of each ability
GRADE_ZH = {"strong": "强", "adequate": "一般", "weak": "较弱"}
ABILITIES = (
    ("political_quality", "政治素质"),
    ("work_ability", "业务能力"),
    ("organising_ability", "组织能力"),
)
STATUSES = ("active", "moved", "left")
STATUS_ZH = {"active": "在册", "moved": "已转出", "left": "已离开"}
GENDERS = ("", "男", "女")
LIMITS = {"code": 32, "name": 64, "phone": 32, "note": 2000}
FIRST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class Problem:
    field: str
    en: str
    zh: str


@dataclass
class MemberDraft:
    """What an administrator gives for one member; None means "not given" (a roster's blank cell)."""

    code: str | None = None
    name: str | None = None
    branch_id: int | None = None
    village_id: int | None = None
    gender: str | None = None
    birth_year: int | None = None
    joined_party_on: dt.date | None = None
    phone: str | None = None
    political_quality: str | None = None
    work_ability: str | None = None
    organising_ability: str | None = None
    status: str | None = None
    status_since: dt.date | None = None
    note: str | None = None

    def given(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def problems_of(draft: MemberDraft, today: dt.date) -> list[Problem]:
    """Every problem of the draft's own values (the organisation is checked by the caller)."""
    found: list[Problem] = []
    if not (draft.code or "").strip():
        found.append(Problem("code", "the member code is missing", "党员编号为空"))
    if not (draft.name or "").strip():
        found.append(Problem("name", "the name is missing", "姓名为空"))
    for name, limit in LIMITS.items():
        value = getattr(draft, name)
        if value is not None and len(value) > limit:
            found.append(
                Problem(
                    name, f"{name} is longer than {limit} characters", f"{_LABEL[name]}超过 {limit} 个字符"
                )
            )
    if draft.gender is not None and draft.gender not in GENDERS:
        found.append(
            Problem("gender", f"gender {draft.gender!r} is not 男 or 女", f"性别“{draft.gender}”应为男或女")
        )
    if draft.birth_year is not None and not FIRST_BIRTH_YEAR <= draft.birth_year <= today.year:
        found.append(
            Problem(
                "birth_year",
                f"birth year {draft.birth_year} is not between {FIRST_BIRTH_YEAR} and {today.year}",
                f"出生年份 {draft.birth_year} 不在 {FIRST_BIRTH_YEAR}–{today.year} 之间",
            )
        )
    found += _date_problems(draft, today)
    for name, label in ABILITIES:
        grade = getattr(draft, name)
        if grade is not None and grade not in GRADES:
            found.append(
                Problem(
                    name,
                    f"{name} {grade!r} is not strong, adequate or weak",
                    f"{label}“{grade}”应为强、一般或较弱",
                )
            )
    if draft.status is not None and draft.status not in STATUSES:
        found.append(
            Problem(
                "status",
                f"status {draft.status!r} is not active, moved or left",
                f"状态“{draft.status}”应为在册、已转出或已离开",
            )
        )
    return found


def _date_problems(draft: MemberDraft, today: dt.date) -> list[Problem]:
    found = []
    for name in ("joined_party_on", "status_since"):
        day = getattr(draft, name)
        if day is not None and day > today:
            found.append(Problem(name, f"{name} {day} is in the future", f"{_LABEL[name]} {day} 晚于今天"))
    return found


def check(draft: MemberDraft, today: dt.date) -> None:
    """Refuse a form's draft with every problem, field by field."""
    found = problems_of(draft, today)
    if found:
        raise FormInvalid("member", {p.field: p.en for p in found}, {p.field: p.zh for p in found})


_LABEL = {
    "code": "党员编号",
    "name": "姓名",
    "phone": "联系电话",
    "note": "备注",
    "joined_party_on": "入党日期",
    "status_since": "状态日期",
}
