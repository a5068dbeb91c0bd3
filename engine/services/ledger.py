"""The commendation ledger (评先选优) per calendar year (R6, R7, R11).

Marks come from the procedures: a post assessed excellent, a reward, an area member graded
excellent (merits); a revoked post (a block); a listing (列入表彰对象). Who is eligible is not
decided here: the ledger asks the decision table the listing procedure decides with (the procedure
the diagrams offer at the ledger, `offer`, and its start event's `ledgerDecision`), and listing a
member starts that procedure. Every line names the instance that decided it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..errors import NotAllowed
from ..kernel import Kernel
from ..models import Branch, CommendationMark, Member
from ..process.case_fields import start_properties
from ..process.decisions import decide
from ..process.operations.commendation import standing_of
from . import authz, offers, starting
from .results import StepOutcome

PLACE = "ledger"  # where the pages offer the listing procedure (`offer` on its start event)
DECISION_PROPERTY = "ledgerDecision"


@dataclass
class LedgerEntry:
    member_id: int
    member: str
    branch: str
    eligible: bool = False
    reason: str = ""  # the decision table's words for the verdict
    listed: bool = False
    merits: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    marks: list[CommendationMark] = field(default_factory=list, repr=False)


def _line(mark: CommendationMark) -> dict[str, Any]:
    return {
        "reason": mark.reason,
        "instance_id": mark.instance_id,
        "post_id": mark.post_id,
        "area_id": mark.area_id,
        "at": mark.created_at,
    }


def entries(session: Session, year: int, branch_id: int | None = None) -> list[LedgerEntry]:
    """Each member with marks in the year: merits, blocks, listed (the facts, not the verdict)."""
    statement = (
        select(CommendationMark, Member.name, Branch.name)
        .join(Member, Member.id == CommendationMark.member_id)
        .join(Branch, Branch.id == Member.branch_id)
        .where(CommendationMark.year == year)
        .order_by(Branch.id, Member.id, CommendationMark.id)
    )
    if branch_id is not None:
        statement = statement.where(Member.branch_id == branch_id)
    result: dict[int, LedgerEntry] = {}
    for mark, member, branch in session.execute(statement):
        entry = result.setdefault(mark.member_id, LedgerEntry(mark.member_id, member, branch))
        entry.marks.append(mark)
        if mark.kind == "merit":
            entry.merits.append(_line(mark))
        elif mark.kind == "block":
            entry.blocks.append(_line(mark))
        elif mark.kind == "listed":
            entry.listed = True
    return list(result.values())


def _judge(kernel: Kernel, session: Session, rows: list[LedgerEntry]) -> None:
    """Each entry's eligibility and its reason, from the listing procedure's decision table."""
    if not rows:
        return
    version = kernel.catalog.current(session, offers.process_for(kernel, PLACE))
    decision = start_properties(version).get(DECISION_PROPERTY, "")
    for entry in rows:
        verdict = decide(version, decision, {"standing": standing_of(entry.marks)})
        entry.eligible = bool(verdict.get("eligible"))
        entry.reason = str(verdict.get("eligibility_reason", ""))


def ledger(kernel: Kernel, actor: Actor, year: int) -> list[LedgerEntry]:
    """Who is eligible for the year's commendation and who is blocked, with reasons."""
    with kernel.db.unit_of_work(write=False) as uow:
        scope = None if actor.roles & authz.TOWN_WIDE_READERS else actor.branch_id
        if scope is None and not actor.roles & authz.TOWN_WIDE_READERS:
            raise NotAllowed(f"{actor.username} may not read the commendation ledger")
        rows = entries(uow.session, year, scope)
        _judge(kernel, uow.session, rows)
        return rows


def list_for_commendation(
    kernel: Kernel, actor: Actor, year: int, member_id: int, note: str = ""
) -> StepOutcome:
    """列入表彰对象: starts the listing procedure for the member and year; a member its decision
    table finds ineligible is refused (RuleViolation with the table's reason) and nothing is kept."""
    data: dict[str, Any] = {"member_id": member_id, "year": year}
    if note:
        data["note"] = note
    return starting.start(kernel, actor, offers.process_for(kernel, PLACE), data)


def export_xlsx(kernel: Kernel, actor: Actor, year: int) -> bytes:
    """The year's ledger as an Excel workbook: one row per member, eligibility and reasons."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rows = ledger(kernel, actor, year)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{year}评先选优"
    header = [
        "党员",
        "党支部",
        "是否符合评先选优条件",
        "已列入表彰对象",
        "依据（优秀、奖励）",
        "限制（撤销等）",
        "相关实例",
    ]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for entry in rows:
        instances = sorted(
            {str(line["instance_id"]) for line in entry.merits + entry.blocks if line["instance_id"]}
        )
        sheet.append(
            [
                entry.member,
                entry.branch,
                "是" if entry.eligible else "否",
                "是" if entry.listed else "否",
                "；".join(line["reason"] for line in entry.merits),
                "；".join(line["reason"] for line in entry.blocks),
                "、".join(instances),
            ]
        )
    for column, width in zip("ABCDEFG", (12, 16, 10, 10, 48, 48, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
