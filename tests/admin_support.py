"""Helpers the administrators' room tests share (this module holds no tests): the administrator,
the chain's events outside any case, a roster workbook built row by row, and the verify check."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
import sqlalchemy as sa
from intervention_support import DETERMINE, at_determine
from support import CreationWalk, actor

from xianfeng.engine.actor import Actor
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, HumanTask, Member, TaskSigner, User
from xianfeng.engine.services import audit, verbs
from xianfeng.engine.services.admin import people
from xianfeng.engine.services.admin.member_fields import MemberDraft
from xianfeng.engine.services.admin.roster_columns import HEADERS


def admin(kernel: Kernel) -> Actor:
    return actor(kernel, "admin")


def org_events(kernel: Kernel, kind: str | None = None) -> list[dict[str, Any]]:
    """The chained events of no case (kind, actor, payload, changes), oldest first."""
    with kernel.db.unit_of_work(write=False) as uow:
        statement = sa.select(Event).where(Event.instance_id.is_(None)).order_by(Event.seq)
        if kind is not None:
            statement = statement.where(Event.kind == kind)
        return [
            {
                "kind": e.kind,
                "actor": e.actor,
                "role": e.role,
                "payload": json.loads(e.payload),
                "changes": json.loads(e.changes),
                "raw": e.payload + e.changes,
            }
            for e in uow.session.execute(statement).scalars()
        ]


def case_events(kernel: Kernel, instance_id: int) -> list[dict[str, Any]]:
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            sa.select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)
        ).scalars()
        return [{"kind": e.kind, "actor": e.actor, "payload": json.loads(e.payload)} for e in rows]


def assert_verifies(kernel: Kernel, replay: bool = True) -> None:
    report = audit.verify(kernel, replay=replay)
    assert report.ok, report.problems


def roster(rows: list[dict[str, Any]], headers: tuple[str, ...] = HEADERS) -> bytes:
    """An .xlsx roster: the header row, then each row's cells by header (missing ones blank)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "党员花名册"
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_roster(content: bytes) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def write_roster(rows: list[dict[str, Any]]) -> bytes:
    """The rows of `read_roster` written back in the same layout, as an administrator saves the file."""
    return roster(rows, tuple(rows[0]) if rows else HEADERS)


def new_member(kernel: Kernel, code: str = "ZA-M99", name: str = "赵新华", branch_id: int = 1) -> int:
    """A member without an account, added by the administrator; their id."""
    draft = MemberDraft(code=code, name=name, branch_id=branch_id, village_id=2 * branch_id - 1)
    return people.create_member(kernel, admin(kernel), draft)


def member_by_code(kernel: Kernel, code: str) -> Member:
    with kernel.db.unit_of_work(write=False) as uow:
        member = uow.session.execute(sa.select(Member).where(Member.code == code)).scalar_one()
        return member


def account(kernel: Kernel, username: str) -> User:
    with kernel.db.unit_of_work(write=False) as uow:
        user = uow.session.execute(sa.select(User).where(User.username == username)).scalar_one()
        _ = user.roles  # loaded before the session closes
        return user


def asked_to_co_sign(kernel: Kernel, username: str, **walker: Any) -> CreationWalk:
    """A nomination waiting for the branch's 支部确定名单, on which secretary1 asked `username` to
    co-sign (加签): something that waits for them and, unlike their own 党员测评, may be handed over."""
    walk = at_determine(kernel, **walker)
    task = walk.task_of("secretary1", DETERMINE)
    verbs.add_signers(kernel, actor(kernel, "secretary1"), task.id, [username], "请协助把关")
    return walk


def signers_of(kernel: Kernel, instance_id: int) -> list[str]:
    """Who is asked to co-sign in the case and has not signed yet."""
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(
                sa.select(User.username)
                .join(TaskSigner, TaskSigner.user_id == User.id)
                .where(TaskSigner.instance_id == instance_id, TaskSigner.signed_at.is_(None))
                .order_by(User.username)
            ).scalars()
        )


def tasks_assigned(kernel: Kernel, username: str) -> list[HumanTask]:
    with kernel.db.unit_of_work(write=False) as uow:
        user_id = uow.session.execute(sa.select(User.id).where(User.username == username)).scalar_one()
        return list(
            uow.session.execute(sa.select(HumanTask).where(HumanTask.assignee_user_id == user_id)).scalars()
        )
