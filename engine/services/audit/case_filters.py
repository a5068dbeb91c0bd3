"""What an auditor may ask of the case list: the filters and the page, read from a query string, and
the keyset cursor that pages through cases newest first.

Every value is checked; a bad one is refused with the field it came in (`FormInvalid` naming
`started_from`, `status` …), in English and in Chinese, and nothing is searched. Whether a value is
known (a procedure, a status, an outcome, a branch) needs the database: `cases` checks that.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...errors import FormInvalid

FORM = "case_search"
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
MAX_WORDS = 100
FILTER_FIELDS = (
    "procedure",
    "status",
    "outcome",
    "branch_id",
    "village_id",
    "member_id",
    "started_from",
    "started_to",
    "q",
)
_ID = re.compile(r"[1-9][0-9]{0,8}")  # ASCII digits only: int() would take " 7", "+7", "٧" and "7_0"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CURSOR = re.compile(r"([0-9]{1,18})-([1-9][0-9]{0,8})")
_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@dataclass
class Problems:
    """Refusals collected over every field, so that one answer names all that is wrong."""

    en: dict[str, str] = field(default_factory=dict)
    zh: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, english: str, chinese: str) -> None:
        self.en.setdefault(name, english)
        self.zh.setdefault(name, chinese)

    def raise_any(self) -> None:
        if self.en:
            raise FormInvalid(FORM, dict(self.en), dict(self.zh))


@dataclass(frozen=True)
class CaseFilters:
    """Filters of the case list; None (or "") means "any". Dates are inclusive days in China time."""

    procedure: str | None = None
    status: str | None = None
    outcome: str | None = None
    branch_id: int | None = None
    village_id: int | None = None
    member_id: int | None = None
    started_from: dt.date | None = None
    started_to: dt.date | None = None
    q: str = ""

    @classmethod
    def from_query(cls, args: Mapping[str, str], problems: Problems | None = None) -> CaseFilters:
        """Filters from a query string (a page's form); an empty value is no filter. A bad value is
        refused, or, given `problems`, recorded there and left out."""
        collected = problems if problems is not None else Problems()
        raw = {name: str(args.get(name) or "").strip() for name in FILTER_FIELDS}
        filters = cls(
            procedure=_code(raw["procedure"], "procedure", collected),
            status=_code(raw["status"], "status", collected),
            outcome=_code(raw["outcome"], "outcome", collected),
            branch_id=_id(raw["branch_id"], "branch_id", collected),
            village_id=_id(raw["village_id"], "village_id", collected),
            member_id=_id(raw["member_id"], "member_id", collected),
            started_from=_day(raw["started_from"], "started_from", collected),
            started_to=_day(raw["started_to"], "started_to", collected),
            q=raw["q"],
        )
        filters.check(collected)
        if problems is None:
            collected.raise_any()
        return filters

    def check(self, problems: Problems | None = None) -> None:
        """Checks that need nothing but the values: the order of the dates, the length of the words.
        Refused at once, or, given `problems`, recorded there."""
        collected = problems if problems is not None else Problems()
        if self.started_from and self.started_to and self.started_from > self.started_to:
            collected.add(
                "started_to",
                f"the end date {self.started_to} is before the start date {self.started_from}",
                f"结束日期 {self.started_to} 早于开始日期 {self.started_from}",
            )
        if len(self.q) > MAX_WORDS:
            collected.add(
                "q", f"at most {MAX_WORDS} characters of title words", f"标题关键词不能超过 {MAX_WORDS} 个字"
            )
        if problems is None:
            collected.raise_any()

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (for the next page's link and the Excel download)."""
        values = {name: getattr(self, name) for name in FILTER_FIELDS}
        return {name: str(value) for name, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class Cursor:
    """A place in the list: the case's start time (microseconds since the epoch, UTC) and its id."""

    started_at: dt.datetime
    id: int

    def __str__(self) -> str:
        micros = (self.started_at - _EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}-{self.id}"

    @classmethod
    def parse(cls, text: str, name: str, problems: Problems) -> Cursor | None:
        found = _CURSOR.fullmatch(text)
        if found is None:
            problems.add(name, f"not a cursor of this list: {text[:40]!r}", f"翻页位置无效：{text[:40]}")
            return None
        return cls(_EPOCH + dt.timedelta(microseconds=int(found.group(1))), int(found.group(2)))


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class PageRequest:
    """Which page: the one after a cursor (older cases), the one before it (newer), or the first."""

    after: Cursor | None = None
    before: Cursor | None = None
    limit: int = PAGE_SIZE

    @classmethod
    def from_query(cls, args: Mapping[str, str], problems: Problems | None = None) -> PageRequest:
        """The page a query string asks for; bad values as in `CaseFilters.from_query`."""
        collected = problems if problems is not None else Problems()
        after, before = (str(args.get(name) or "").strip() for name in ("after", "before"))
        if after and before:
            collected.add("before", "give after or before, not both", "翻页只能给出 after 或 before 之一")
        limit = str(args.get("limit") or "").strip()
        size = _id(limit, "limit", collected) if limit else PAGE_SIZE
        if size is not None and size > MAX_PAGE_SIZE:
            collected.add("limit", f"at most {MAX_PAGE_SIZE} cases a page", f"每页最多 {MAX_PAGE_SIZE} 条")
        page = cls(
            after=Cursor.parse(after, "after", collected) if after else None,
            before=Cursor.parse(before, "before", collected) if before else None,
            limit=size or PAGE_SIZE,
        )
        if problems is None:
            collected.raise_any()
        return page


def _code(text: str, name: str, problems: Problems) -> str | None:
    if not text:
        return None
    if _CODE.fullmatch(text) is None:
        problems.add(name, f"not a code: {text[:40]!r}", f"不是有效的代码：{text[:40]}")
        return None
    return text


def _id(text: str, name: str, problems: Problems) -> int | None:
    if not text:
        return None
    if _ID.fullmatch(text) is None:
        problems.add(name, f"not a number: {text[:40]!r}", f"不是有效的编号：{text[:40]}")
        return None
    return int(text)


def _day(text: str, name: str, problems: Problems) -> dt.date | None:
    if not text:
        return None
    try:
        if _DAY.fullmatch(text) is None:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        shown = text[:40]
        problems.add(
            name, f"not a date (YYYY-MM-DD): {shown!r}", f"不是有效的日期（格式 YYYY-MM-DD）：{shown}"
        )
        return None
