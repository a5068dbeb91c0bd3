"""The commendation ledger (评先选优) per calendar year (R6, R7, R11).

Marks come from the procedures: a post assessed excellent, a reward, an area member graded
excellent (merits); a revoked post (a block). A member is eligible for a year's commendation with
at least one merit and no block that year; listing a blocked member is refused with the reason.
Every line names the instance that decided it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..errors import NotAllowed, NotFound, RuleViolation
from ..kernel import Kernel
from ..models import Branch, CommendationMark, Member
from ..models.org import ROLE_COMMITTEE
from . import authz, chain


@dataclass
class LedgerEntry:
    member_id: int
    member: str
    branch: str
    eligible: bool = False
    listed: bool = False
    merits: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)


def _line(mark: CommendationMark) -> dict[str, Any]:
    return {
        "reason": mark.reason,
        "instance_id": mark.instance_id,
        "post_id": mark.post_id,
        "area_id": mark.area_id,
        "at": mark.created_at,
    }


def entries(session: Session, year: int, branch_id: int | None = None) -> list[LedgerEntry]:
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
        if mark.kind == "merit":
            entry.merits.append(_line(mark))
        elif mark.kind == "block":
            entry.blocks.append(_line(mark))
        elif mark.kind == "listed":
            entry.listed = True
    for entry in result.values():
        entry.eligible = bool(entry.merits) and not entry.blocks
    return list(result.values())


def ledger(kernel: Kernel, actor: Actor, year: int) -> list[LedgerEntry]:
    """Who is eligible for the year's commendation and who is blocked, with reasons."""
    with kernel.db.unit_of_work(write=False) as uow:
        scope = None if actor.roles & authz.TOWN_WIDE_READERS else actor.branch_id
        if scope is None and not actor.roles & authz.TOWN_WIDE_READERS:
            raise NotAllowed(f"{actor.username} may not read the commendation ledger")
        return entries(uow.session, year, scope)


def check_listable(session: Session, member_id: int, year: int) -> None:
    """Refuse listing a member for a year's commendation when the ledger says no (R7)."""
    marks = (
        session.execute(
            select(CommendationMark).where(
                CommendationMark.member_id == member_id, CommendationMark.year == year
            )
        )
        .scalars()
        .all()
    )
    blocks = [m for m in marks if m.kind == "block"]
    if blocks:
        reasons = "；".join(f"{m.reason}（实例 {m.instance_id}）" for m in blocks)
        raise RuleViolation(
            f"member {member_id} may not be listed for {year}'s commendation (R7): {reasons}",
            member_id=member_id,
            year=year,
            reasons=[m.reason for m in blocks],
        )
    if not any(m.kind == "merit" for m in marks):
        raise RuleViolation(
            f"member {member_id} has no merit recorded in {year}", member_id=member_id, year=year
        )


def list_for_commendation(kernel: Kernel, actor: Actor, year: int, member_id: int, note: str = "") -> None:
    """列入表彰对象: the town committee lists an eligible member for the year."""
    if not actor.has(ROLE_COMMITTEE):
        raise NotAllowed("only the town committee lists members for commendation")
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        if session.get(Member, member_id) is None:
            raise NotFound(f"no member {member_id}", member_id=member_id)
        check_listable(session, member_id, year)
        session.add(
            CommendationMark(
                member_id=member_id,
                year=year,
                kind="listed",
                reason=note or f"{actor.username} 列入 {year} 年表彰对象",
                created_at=kernel.clock.now(),
            )
        )
        chain.record(
            session,
            kernel,
            actor,
            "listing",
            {"member_id": member_id, "year": year, "note": note},
            ROLE_COMMITTEE,
        )
        uow.commit()


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
