"""Import the member roster (党员花名册) from Excel: a preview that says, row by row, what would be
created, changed or refused and why; the import itself re-reads the same file, re-checks it, and
stores everything or nothing, in one chained event that names the file's sha256 and the counts.

Members are matched by their code, so importing the same file again changes nothing (and records
nothing). A row that moves a member to another branch, or marks them moved out or left, is checked
as the member page checks a move (`departures`); one that would need their tasks handed over is
refused with a pointer to the member page, where the administrator chooses who takes them over.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...errors import RuleViolation, XianfengError
from ...kernel import Kernel
from ...models import Branch, Member, User, Village
from . import departures, roster_read
from .common import check_may_manage, check_may_read, record, today
from .member_fields import GRADE_ZH, STATUS_ZH, MemberDraft, Problem, problems_of
from .roster_columns import COLUMNS, Column, read_cell
from .roster_read import Note

ACTIONS = ("create", "change", "same", "refuse")
# The member fields in the roster's column order: the order a row's changes are listed in.
_ORDER = {
    {"branch": "branch_id", "village": "village_id"}.get(c.field, c.field): i for i, c in enumerate(COLUMNS)
}
_LABELS = {c.field: (c.header, c.header_en) for c in COLUMNS} | {
    "branch_id": ("所在党支部", "Branch"),
    "village_id": ("所在嘎查村", "Village"),
}


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    label_en: str
    old: str
    new: str


@dataclass(frozen=True)
class RowPlan:
    row: int
    code: str
    name: str
    action: str  # create / change / same / refuse
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # what the import sets


@dataclass
class RosterPlan:
    filename: str
    sha256: str
    rows: list[RowPlan]
    file_problems: list[Note]
    ignored: list[str]

    @property
    def counts(self) -> dict[str, int]:
        return {action: sum(1 for r in self.rows if r.action == action) for action in ACTIONS}

    @property
    def ok(self) -> bool:
        return not self.file_problems and not self.counts["refuse"]

    @property
    def digest(self) -> str:
        """What the import would do, hashed: a confirmation made on an older preview is refused."""
        body = [[r.row, r.action, r.code, sorted(r.values.items())] for r in self.rows]
        return hashlib.sha256(json.dumps(body, default=str, ensure_ascii=False).encode()).hexdigest()


class RosterRefused(RuleViolation):
    """The roster cannot be imported as it is: its plan says why, row by row."""

    def __init__(self, plan: RosterPlan, en: str, zh: str) -> None:
        refused_rows = [
            {"row": r.row, "code": r.code, "problems": [p.zh for p in r.problems]}
            for r in plan.rows
            if r.problems
        ]
        super().__init__(en, zh=zh, file=[p.zh for p in plan.file_problems], rows=refused_rows)
        self.plan = plan


def preview(kernel: Kernel, actor: Actor, content: bytes, filename: str) -> RosterPlan:
    """What importing the file would do; nothing is written."""
    check_may_read(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        return _plan(uow.session, kernel, content, filename)


def import_roster(
    kernel: Kernel, actor: Actor, content: bytes, filename: str, expected: str | None = None, reason: str = ""
) -> RosterPlan:
    """Check the file again and store every row, or refuse and store nothing.

    `expected` is the digest of the preview the administrator confirmed: when the database moved
    since (someone else changed a member), the plan differs and the import is refused."""
    check_may_manage(actor)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        plan = _plan(session, kernel, content, filename)
        if not plan.ok:
            raise RosterRefused(
                plan,
                f"{filename}: the roster cannot be imported: {len(plan.file_problems)} file problem(s), "
                f"{plan.counts['refuse']} refused row(s)",
                f"{filename} 不能导入：" + _refusal_zh(plan),
            )
        if expected is not None and expected != plan.digest:
            raise RosterRefused(
                plan,
                "the organisation changed since the preview: preview the file again",
                "预览之后党员数据已有变化：请核对新的预览结果后再确认导入",
            )
        _apply(session, kernel, plan)
        payload = {
            "action": "import",
            "file": filename,
            "sha256": plan.sha256,
            "rows": len(plan.rows),
            "created": plan.counts["create"],
            "changed": plan.counts["change"],
            "unchanged": plan.counts["same"],
            "reason": reason.strip(),
        }
        record(session, kernel, actor, "roster", payload)
        uow.commit()
        return plan


def _refusal_zh(plan: RosterPlan) -> str:
    if plan.file_problems:
        return "；".join(p.zh for p in plan.file_problems)
    return f"有 {plan.counts['refuse']} 行有问题，请修改后重新上传"


@dataclass
class _Org:
    """The organisation as the roster names it: branches and villages by name or code, members by code."""

    branches: dict[str, Branch]
    villages: dict[tuple[int, str], Village]
    members: dict[str, Member]
    names: dict[int, str]  # branch and village names by id, for the changes shown

    @classmethod
    def load(cls, session: Session) -> _Org:
        branches: dict[str, Branch] = {}
        for b in session.execute(select(Branch)).scalars():
            branches[b.name] = branches[b.code] = b
        villages: dict[tuple[int, str], Village] = {}
        for v in session.execute(select(Village)).scalars():
            villages[(v.branch_id, v.name)] = villages[(v.branch_id, v.code)] = v
        members = {m.code: m for m in session.execute(select(Member)).scalars()}
        names = {b.id: b.name for b in branches.values()}
        return cls(branches, villages, members, names)


def _plan(session: Session, kernel: Kernel, content: bytes, filename: str) -> RosterPlan:
    sheet = roster_read.read(content)
    plan = RosterPlan(filename, hashlib.sha256(content).hexdigest(), [], sheet.problems, sheet.ignored)
    if sheet.problems:
        return plan
    org = _Org.load(session)
    seen: dict[str, int] = {}
    for number, cells in sheet.rows:
        plan.rows.append(_row(session, kernel, org, number, cells, seen))
    return plan


def _row(
    session: Session, kernel: Kernel, org: _Org, number: int, cells: dict[Column, Any], seen: dict[str, int]
) -> RowPlan:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for column, raw in cells.items():
        value, problem = read_cell(column, raw)
        values[column.field] = value
        if problem:
            problems.append(problem)
    code, name = values.get("code") or "", values.get("name") or ""
    if code and code in seen:
        problems.append(
            Problem(
                "code", f"code {code} repeats row {seen[code]}", f"党员编号 {code} 与第 {seen[code]} 行重复"
            )
        )
    seen.setdefault(code, number)
    draft = _draft(org, values, problems, number)
    problems += [p for p in problems_of(draft, today(kernel)) if p.field not in {q.field for q in problems}]
    if problems:
        return RowPlan(number, code, name, "refuse", problems=problems)
    member = org.members.get(code)
    if member is None:
        return _creation(org, number, draft)
    return _change(session, kernel, org, number, member, draft)


def _draft(org: _Org, values: dict[str, Any], problems: list[Problem], number: int) -> MemberDraft:
    branch_name = values.pop("branch", None)
    village_name = values.pop("village", None)
    branch = org.branches.get(branch_name) if branch_name else None
    if branch_name is None:
        problems.append(Problem("branch", "the branch is missing", "所在党支部为空"))
    elif branch is None:
        problems.append(
            Problem(
                "branch", f"no branch {branch_name!r}", f"找不到党支部“{branch_name}”（请先在组织机构中建立）"
            )
        )
    village = None
    if village_name is not None and branch is not None:
        village = org.villages.get((branch.id, village_name))
        if village is None:
            problems.append(
                Problem(
                    "village",
                    f"{village_name!r} is no village of {branch.name}",
                    f"嘎查村“{village_name}”不属于{branch.name}",
                )
            )
    return MemberDraft(
        branch_id=branch.id if branch else None, village_id=village.id if village else None, **values
    )


def _creation(org: _Org, number: int, draft: MemberDraft) -> RowPlan:
    values: dict[str, Any] = {"political_quality": "adequate", "work_ability": "adequate"}
    values |= {"organising_ability": "adequate"}
    values |= {"status": "active", **draft.given()}
    changes = [
        _shown(org, key, None, values[key]) for key in sorted(values, key=_ORDER.__getitem__) if key != "code"
    ]
    return RowPlan(number, draft.code or "", draft.name or "", "create", changes, values=values)


def _change(
    session: Session, kernel: Kernel, org: _Org, number: int, member: Member, draft: MemberDraft
) -> RowPlan:
    given = draft.given()
    moving = draft.branch_id != member.branch_id
    if moving and "village_id" not in given:
        given["village_id"] = None  # the old village is not one of the new branch's
    wanted = {key: value for key, value in given.items() if value != getattr(member, key)}
    changes = [
        _shown(org, key, getattr(member, key), wanted[key]) for key in sorted(wanted, key=_ORDER.__getitem__)
    ]
    row = RowPlan(number, member.code, member.name, "change" if wanted else "same", changes, values=wanted)
    status = wanted.get("status")
    if not moving and status in (None, "active"):
        return row
    if moving and status in ("moved", "left"):
        problem = Problem(
            "status", "a row may not move a member and end them at once", "同一行不能同时变更党支部和状态"
        )
        return RowPlan(number, member.code, member.name, "refuse", changes, [problem])
    kind = status if status in ("moved", "left") else ("move" if moving and member.status == "active" else "")
    return _checked(session, kernel, row, member, kind, draft) if kind else row


def _checked(
    session: Session, kernel: Kernel, row: RowPlan, member: Member, kind: str, draft: MemberDraft
) -> RowPlan:
    """A move or a departure in the roster is checked as the member page checks it."""
    departure = departures.Departure(kind, draft.status_since, draft.branch_id, draft.village_id)
    try:
        plan = departures.plan_in(session, kernel, member, departure)
    except XianfengError as exc:
        problem = Problem("branch", exc.message, str(exc.params.get("zh", exc.message)))
        return RowPlan(row.row, row.code, row.name, "refuse", row.changes, [problem])
    problems = [Problem(b.kind, b.en, b.zh) for b in plan.blockers]
    if plan.handed:  # personal tasks are not handed over: they do not hold a row up
        problems.append(
            Problem(
                "handover",
                f"{len(plan.handed)} item(s) wait for {member.name}: move them on the member's page, where "
                "you choose who takes them over",
                f"{member.name}有 {len(plan.handed)} 项待办需要交接：请在党员页面办理（可选择交接人）",
            )
        )
    if problems:
        return RowPlan(row.row, row.code, row.name, "refuse", row.changes, problems)
    notes = []
    if plan.account_effect == "disable":
        notes.append(Note(f"the account {plan.account} will be disabled", f"账号 {plan.account} 将被停用"))
    elif plan.account_effect == "scope":
        notes.append(
            Note(
                f"the account {plan.account} moves with the member", f"账号 {plan.account} 的所属支部随之变更"
            )
        )
    return RowPlan(row.row, row.code, row.name, row.action, row.changes, notes=notes, values=row.values)


def _shown(org: _Org, key: str, old: Any, new: Any) -> Change:
    label, label_en = _LABELS[key]
    return Change(key, label, label_en, _display(org, key, old), _display(org, key, new))


def _display(org: _Org, key: str, value: Any) -> str:
    words = {"political_quality": GRADE_ZH, "work_ability": GRADE_ZH, "organising_ability": GRADE_ZH}
    words |= {"status": STATUS_ZH}
    if value is None or value == "":
        found: Any = ""
    elif key == "branch_id":
        found = org.names.get(value, value)
    elif key == "village_id":
        found = next((v.name for v in org.villages.values() if v.id == value), value)
    elif key in words:
        found = words[key].get(value, value)
    else:
        found = value.isoformat() if isinstance(value, dt.date) else value
    return str(found)


def _apply(session: Session, kernel: Kernel, plan: RosterPlan) -> None:
    members = {m.code: m for m in session.execute(select(Member)).scalars()}
    on = today(kernel)
    for row in plan.rows:
        if row.action == "create":
            session.add(Member(**row.values))
        elif row.action == "change":
            _apply_change(session, members[row.code], row.values, on)
    session.flush()


def _apply_change(session: Session, member: Member, values: dict[str, Any], on: dt.date) -> None:
    moving = "branch_id" in values
    status = values.get("status")
    for key, value in values.items():
        setattr(member, key, value)
    if (moving or status) and "status_since" not in values:
        member.status_since = on
    user = session.execute(select(User).where(User.member_id == member.id)).scalar_one_or_none()
    if user is None:
        return
    if moving:
        user.branch_id, user.village_id = member.branch_id, member.village_id
    if status in ("moved", "left"):
        user.active = False
