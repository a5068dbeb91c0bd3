"""The public notice board and objections raised on it (R3.3)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select

from ..actor import Actor
from ..clock import CHINA_TZ
from ..errors import NotFound, RuleViolation
from ..kernel import Kernel
from ..models import Objection, PendingMessage, ProcessInstance, PublicNotice
from ..models.org import ROLE_PUBLIC
from ..process.quotas import OBJECTION_LIMIT_PROPERTY, Quota, element_property, parse_quota
from . import calendar_admin, timers
from .audit import anchors
from .steps import EventMeta, record_verb

OBJECTION_MESSAGE = "objection_filed"
OBJECTION_EVENT = "objection"
MAX_OBJECTION_LENGTH = 2000


def active_notices(kernel: Kernel) -> list[dict[str, Any]]:
    now = kernel.clock.now()
    with kernel.db.unit_of_work(write=False) as uow:
        rows = (
            uow.session.execute(
                select(PublicNotice)
                .where(PublicNotice.status == "active", PublicNotice.ends_at > now)
                .order_by(PublicNotice.ends_at)
            )
            .scalars()
            .all()
        )
        return [notice_view(n) for n in rows]


def board(kernel: Kernel) -> dict[str, Any]:
    """The public notice board: active notices, the working days each has left, and the chain head
    last published (shown in its footer so that anyone can note it and check it later)."""
    rows = active_notices(kernel)
    left = calendar_admin.working_days_left(kernel, [(row["id"], row["ends_at"]) for row in rows])
    return {"rows": rows, "left": left, "head": anchors.latest(kernel)}


def notice_view(notice: PublicNotice) -> dict[str, Any]:
    return {
        "id": notice.id,
        "instance_id": notice.instance_id,
        "title": notice.title,
        "body": notice.body,
        "working_days": notice.working_days,
        "starts_at": notice.starts_at,
        "ends_at": notice.ends_at,
        "status": notice.status,
        "outcome": notice.outcome,
    }


def objection_quota(kernel: Kernel, notice_id: int) -> Quota | None:
    """How many objections one client may file in a window, as the notice's diagram says
    (`objectionLimit` on the event that takes them); None when it sets no limit or there is no
    such notice (filing it is then refused for that reason)."""
    with kernel.db.unit_of_work(write=False) as uow:
        notice = uow.session.get(PublicNotice, notice_id)
        instance = uow.session.get(ProcessInstance, notice.instance_id) if notice is not None else None
        if instance is None:
            return None
        version = kernel.catalog.get(uow.session, instance.process_version_id)
    specs = [version.spec, *version.subprocess_specs.values()]
    # The element that sets it is the one that takes the objections; SpiffWorkflow moves the
    # message of an event behind an event-based gateway onto the gateway, so it is found by the property.
    text = element_property(specs, OBJECTION_LIMIT_PROPERTY, lambda _task_spec: True)
    return parse_quota(text) if text else None


def file_objection(kernel: Kernel, notice_id: int, text: str, contact: str = "") -> dict[str, Any]:
    """Record an objection and hand it to the instance (now, or as soon as it listens).

    The objection, its message and the event that files it are written first, with no script
    run; then the delivery is computed ahead of the write lock and written (`timers.deliver_waiting`).
    Should that not succeed now, the objection is kept and its message waits for the next tick."""
    text = (text or "").strip()
    if len(text) < 5 or len(text) > MAX_OBJECTION_LENGTH:
        raise RuleViolation(f"an objection needs 5 to {MAX_OBJECTION_LENGTH} characters", field="text")
    now = kernel.clock.now()
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        notice = session.get(PublicNotice, notice_id)
        if notice is None:
            raise NotFound(f"no notice {notice_id}", notice_id=notice_id)
        if notice.status != "active" or notice.ends_at <= now:
            raise RuleViolation(
                f"the notice period of notice {notice_id} is over; objections are no longer taken",
                notice_id=notice_id,
            )
        instance = session.execute(
            select(ProcessInstance).where(ProcessInstance.id == notice.instance_id).with_for_update()
        ).scalar_one()
        instance_id = instance.id
        receipt = _receipt_number(now)
        objection = Objection(
            receipt_no=receipt,
            notice_id=notice.id,
            instance_id=instance.id,
            text=text,
            contact=contact[:64],
            filed_at=now,
            status="pending",
        )
        session.add(objection)
        session.flush()
        session.add(
            PendingMessage(
                instance_id=instance.id,
                name=OBJECTION_MESSAGE,
                created_at=now,
                payload={"objection_id": objection.id, "receipt_no": receipt, "text": text},
            )
        )
        instance.pending_messages += 1
        record_verb(
            session,
            kernel,
            instance,
            EventMeta(
                kind=OBJECTION_EVENT,
                actor=Actor.public(),
                role=ROLE_PUBLIC,
                payload={
                    "notice_id": notice.id,
                    "objection_id": objection.id,
                    "receipt_no": receipt,
                    "text": text,
                },
            ),
        )
        uow.commit()
    timers.deliver_waiting(kernel, instance_id, now)
    return {"receipt_no": receipt, "notice_id": notice_id, "status": "pending"}


def _receipt_number(now: dt.datetime) -> str:
    return f"YY{now.astimezone(CHINA_TZ):%Y%m%d}-{secrets.token_hex(3).upper()}"


def objection_status(kernel: Kernel, receipt_no: str) -> dict[str, Any]:
    with kernel.db.unit_of_work(write=False) as uow:
        objection = uow.session.execute(
            select(Objection).where(Objection.receipt_no == receipt_no)
        ).scalar_one_or_none()
        if objection is None:
            raise NotFound(f"no objection with receipt number {receipt_no}", receipt_no=receipt_no)
        return {
            "receipt_no": objection.receipt_no,
            "notice_id": objection.notice_id,
            "status": objection.status,
            "answer": objection.answer,
            "filed_at": objection.filed_at,
            "answered_at": objection.answered_at,
        }
