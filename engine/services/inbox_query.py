"""What a person may ask of an inbox list: filters and the page, read from a query string, and the
keyset cursors that page through the lists.

A to-do list is ordered by due date (tasks without one last, by arrival), so its cursor names the
last task's due time, arrival time and id; the other lists are newest first, so theirs is a number
(an event's sequence, a case's, a copy's or a request's id). Every value is checked; a bad one is
refused naming its field, in English and in Chinese, and nothing is read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import FormInvalid
from .audit.case_filters import Problems

FORM = "inbox_query"
# Rows a page holds unless `limit` asks for up to 500: a phone shows a handful at a time, and a
# page costs by its rows, not by the list behind it.
PAGE_SIZE, MAX_PAGE_SIZE = 20, 500
_ID = re.compile(r"[1-9][0-9]{0,17}")
_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_TASK_CURSOR = re.compile(r"(n|[0-9]{1,18})\.([0-9]{1,18})\.([0-9A-Za-z-]{1,36})")
_FLAGS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class TaskKey:
    """A task's place in a to-do list: due time (None sorts after every due time), arrival, id."""

    due_at: dt.datetime | None
    created_at: dt.datetime
    id: str

    def __str__(self) -> str:
        due = "n" if self.due_at is None else str(_micros(self.due_at))
        return f"{due}.{_micros(self.created_at)}.{self.id}"

    @classmethod
    def parse(cls, text: str, problems: Problems) -> TaskKey | None:
        found = _TASK_CURSOR.fullmatch(text)
        if found is None:
            problems.add("after", f"not a cursor of this list: {text[:40]!r}", f"翻页位置无效：{text[:40]}")
            return None
        due, created, task_id = found.groups()
        return cls(None if due == "n" else _instant(int(due)), _instant(int(created)), task_id)


@dataclass(frozen=True)
class TodoFilters:
    """Narrowing a to-do list: the case's procedure, the task's branch, only what is overdue."""

    procedure: str | None = None
    branch_id: int | None = None
    overdue: bool = False

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters, for the next page's link."""
        query = {"procedure": self.procedure or "", "branch_id": str(self.branch_id or "")}
        query["overdue"] = "1" if self.overdue else ""
        return {name: value for name, value in query.items() if value}


@dataclass(frozen=True)
class PageAsk:
    """Which page: the first, or the one after a cursor (a TaskKey for the to-do list, a number for
    the others), of `limit` rows."""

    after: TaskKey | int | None = None
    limit: int = PAGE_SIZE


def todo_query(args: Mapping[str, str], default_limit: int = PAGE_SIZE) -> tuple[TodoFilters, PageAsk]:
    """The filters and page of a to-do list from a query string; `FormInvalid` naming each bad field."""
    problems = Problems()
    raw = {name: str(args.get(name) or "").strip() for name in ("procedure", "branch_id", "overdue")}
    procedure = raw["procedure"] or None
    if procedure is not None and _CODE.fullmatch(procedure) is None:
        problems.add("procedure", f"not a code: {procedure[:40]!r}", f"不是有效的代码：{procedure[:40]}")
    filters = TodoFilters(
        procedure=procedure,
        branch_id=_number(raw["branch_id"], "branch_id", problems),
        overdue=_flag(raw["overdue"], problems),
    )
    after_text = str(args.get("after") or "").strip()
    after = TaskKey.parse(after_text, problems) if after_text else None
    page = PageAsk(after=after, limit=_limit(args, default_limit, problems))
    _raise(problems)
    return filters, page


def list_query(args: Mapping[str, str], default_limit: int = PAGE_SIZE) -> PageAsk:
    """The page of a newest-first list (已办, 我发起的, 抄送我的, 待签) from a query string."""
    problems = Problems()
    after_text = str(args.get("after") or "").strip()
    after = _number(after_text, "after", problems) if after_text else None
    page = PageAsk(after=after, limit=_limit(args, default_limit, problems))
    _raise(problems)
    return page


def _raise(problems: Problems) -> None:
    if problems.en:
        raise FormInvalid(FORM, dict(problems.en), dict(problems.zh))


def _limit(args: Mapping[str, str], default: int, problems: Problems) -> int:
    text = str(args.get("limit") or "").strip()
    if not text:
        return default
    size = _number(text, "limit", problems)
    if size is not None and size > MAX_PAGE_SIZE:
        problems.add("limit", f"at most {MAX_PAGE_SIZE} a page", f"每页最多 {MAX_PAGE_SIZE} 条")
        return default
    return size or default


def _number(text: str, name: str, problems: Problems) -> int | None:
    if not text:
        return None
    if _ID.fullmatch(text) is None:
        problems.add(name, f"not a number: {text[:40]!r}", f"不是有效的编号：{text[:40]}")
        return None
    return int(text)


def _flag(text: str, problems: Problems) -> bool:
    if not text:
        return False
    if text.lower() not in _FLAGS:
        problems.add("overdue", f"not yes or no: {text[:40]!r}", f"应为是或否：{text[:40]}")
        return False
    return _FLAGS[text.lower()]


def _micros(instant: dt.datetime) -> int:
    return (instant - _EPOCH) // dt.timedelta(microseconds=1)


def _instant(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros)
