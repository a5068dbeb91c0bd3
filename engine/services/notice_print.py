"""A 公示 as printed for the village's board: what the notice says, whom it is about, its period, how
to object (with a QR code to the objection page), who issues it, and the chain head last published,
so that a villager can check later that the record was not changed.

Only a notice on the board now is printed: the printout is as public as the board, and no more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..clock import CHINA_TZ
from ..errors import NotFound
from ..kernel import Kernel
from ..models import Branch, Member, ProcessInstance, PublicNotice, Town, Village
from . import calendar_admin
from .audit import anchors, case_people


@dataclass(frozen=True)
class PrintableNotice:
    id: int
    title: str
    body: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    ends_text: str  # the last moment of the period in China time: "2026-12-09 24:00"
    working_days: int
    days_left: int
    issuer: str  # 中共治安镇治安村党支部, or the town committee for a town-wide notice
    nominee: str  # the member the case is about ("" when it is about no one member)
    nominee_village: str
    object_url: str
    head: dict[str, Any]  # the chain head last published ({} before the first)
    printed_at: dt.datetime


def printable(kernel: Kernel, notice_id: int, object_url: str) -> PrintableNotice:
    now = kernel.clock.now()
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        notice = session.get(PublicNotice, notice_id)
        if notice is None or notice.status != "active" or notice.ends_at <= now:
            raise NotFound(f"no notice {notice_id} on the board", notice_id=notice_id)
        town = session.execute(select(Town.name).order_by(Town.id).limit(1)).scalar() or ""
        branch = session.get(Branch, notice.branch_id) if notice.branch_id else None
        issuer = f"中共{town}{branch.name}" if branch else f"中共{town}委员会"
        nominee, village = _nominee(kernel, session, notice.instance_id)
        left = calendar_admin.load_calendar(session).working_days_between(now, notice.ends_at)
        return PrintableNotice(
            id=notice.id,
            title=notice.title,
            body=notice.body,
            starts_at=notice.starts_at,
            ends_at=notice.ends_at,
            ends_text=deadline_text(notice.ends_at),
            working_days=notice.working_days,
            days_left=left,
            issuer=issuer,
            nominee=nominee,
            nominee_village=village,
            object_url=object_url,
            head=_head(anchors.describe(anchors.latest(kernel))),
            printed_at=now,
        )


def on_board(kernel: Kernel, instance_id: int) -> list[int]:
    """Ids of a case's notices on the board now (each may be printed)."""
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(PublicNotice.id)
            .where(
                PublicNotice.instance_id == instance_id,
                PublicNotice.status == "active",
                PublicNotice.ends_at > kernel.clock.now(),
            )
            .order_by(PublicNotice.id)
        ).scalars()
        return [int(i) for i in rows]


def deadline_text(instant: dt.datetime) -> str:
    """A period ending at 00:00 China time ends with the day before: "2026-12-09 24:00"."""
    local = instant.astimezone(CHINA_TZ)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"{local - dt.timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"


def _head(described: dict[str, Any]) -> dict[str, Any]:
    if not described:
        return {}
    published = dt.datetime.fromisoformat(str(described["published_at"]))
    return {**described, "published_at": f"{published.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}"}


def _nominee(kernel: Kernel, session: Any, instance_id: int) -> tuple[str, str]:
    """The one member the case's start names (its start form's single-member field), if any."""
    found = case_people.started_subjects(session, kernel.catalog, ProcessInstance.id == instance_id)
    members = sorted({m for _id, subjects in found for m in subjects.single_members})
    if len(members) != 1:
        return "", ""
    row = session.execute(
        select(Member.name, Village.name)
        .outerjoin(Village, Village.id == Member.village_id)
        .where(Member.id == members[0])
    ).first()
    return (str(row[0]), str(row[1] or "")) if row else ("", "")
