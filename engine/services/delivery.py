"""Delivering notifications by e-mail, DingTalk, WeCom and Feishu robots and SMS gateways (Apprise),
from the ticker, never inside a request.

A round has two steps. *Hand over*: each notification not yet handed over gets one delivery row per
channel its recipient has (`delivery_config`), and is marked handed over. *Send*: deliveries that are
due are claimed for a while (another ticker skips them), sent with no transaction open (a slow mail
server must not hold SQLite's one write lock), and their result written: sent; or tried again after
a wait that doubles each time; or, after the configured number of tries or for an address Apprise
cannot use, failed — listed for the administrator, who may send it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..kernel import Kernel
from ..models import Member, Notification, NotificationDelivery, ProcessInstance, User, UserRole
from .delivery_config import DeliveryConfig, Recipient, channel_key, render
from .notification_text import Message, compose

log = logging.getLogger("xianfeng.delivery")

LEASE = dt.timedelta(minutes=10)  # a claimed delivery not written back by then is tried again
Sender = Callable[[str, Message, float], str]  # url, message, timeout → "" or what went wrong


class Unusable(Exception):
    """The address cannot be used at all (Apprise does not understand it): no retry helps."""


def send_with_apprise(url: str, message: Message, timeout: float) -> str:
    import apprise

    sender = apprise.Apprise()
    if not sender.add(url):
        raise Unusable("the address is not one Apprise can use")
    with apprise.LogCapture(level=logging.WARNING) as logs:
        result = sender.notify(title=message.title, body=message.body, timeout=timeout)
    if result:
        return ""
    said = " ".join(line.split(" - ", 2)[-1] for line in logs.getvalue().splitlines() if line.strip())
    return (said or f"delivery failed ({result.status.name})")[:1000]


@dataclass(frozen=True)
class Job:
    delivery_id: int
    channel_key: str
    recipient: Recipient
    message: Message


@dataclass
class RoundReport:
    handed_over: int = 0
    sent: int = 0
    retrying: int = 0
    failed: list[int] = field(default_factory=list)


def _recipients(session: Session, user_ids: set[int]) -> dict[int, Recipient]:
    rows = session.execute(
        select(User.id, User.username, User.language, Member.phone)
        .outerjoin(Member, Member.id == User.member_id)
        .where(User.id.in_(user_ids))
    ).all()
    roles: dict[int, set[str]] = {}
    for user_id, role in session.execute(
        select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(user_ids))
    ):
        roles.setdefault(user_id, set()).add(role)
    return {
        uid: Recipient(name, frozenset(roles.get(uid, ())), phone or "", language or "zh_CN")
        for uid, name, language, phone in rows
    }


def _masked(url: str) -> str:
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    return str(plugin.url(privacy=True))[:255] if plugin else url.split(":", 1)[0] + "://…"


def hand_over(kernel: Kernel, config: DeliveryConfig, batch: int = 200) -> int:
    """Give each waiting notification its deliveries, one per channel of its recipient."""
    now = kernel.clock.now()
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        waiting = list(
            session.execute(
                select(Notification)
                .where(Notification.sent_at.is_(None))
                .order_by(Notification.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        people = _recipients(session, {n.user_id for n in waiting})
        for notification in waiting:
            recipient = people.get(notification.user_id)
            for template in config.templates_for(recipient) if recipient else []:
                url = render(template, recipient) if recipient else None
                if url is None:
                    continue
                session.add(
                    NotificationDelivery(
                        notification_id=notification.id,
                        user_id=notification.user_id,
                        channel_key=channel_key(template),
                        channel=_masked(url),
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        last_error="",
                        created_at=now,
                    )
                )
            notification.sent_at = now
        uow.commit()
    return len(waiting)


def _claim(kernel: Kernel, config: DeliveryConfig, batch: int) -> list[Job]:
    now = kernel.clock.now()
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        rows = session.execute(
            select(NotificationDelivery, Notification, ProcessInstance.title)
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .outerjoin(ProcessInstance, ProcessInstance.id == Notification.instance_id)
            .where(NotificationDelivery.status == "pending", NotificationDelivery.next_attempt_at <= now)
            .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
            .limit(batch)
            .with_for_update(skip_locked=True, of=NotificationDelivery)
        ).all()
        people = _recipients(session, {d.user_id for d, _n, _t in rows})
        jobs = []
        for delivery, notification, case_title in rows:
            delivery.next_attempt_at = now + LEASE
            recipient = people[delivery.user_id]
            link = _link(config, notification)
            message = compose(
                notification.kind,
                notification.title,
                notification.body,
                case_title or "",
                link,
                recipient.language,
            )
            jobs.append(Job(delivery.id, delivery.channel_key, recipient, message))
        uow.commit()
    return jobs


def _link(config: DeliveryConfig, notification: Notification) -> str:
    if not config.base_url:
        return ""
    if notification.task_id:
        return f"{config.base_url}/tasks/{notification.task_id}"
    return f"{config.base_url}/instances/{notification.instance_id}" if notification.instance_id else ""


def _attempt(config: DeliveryConfig, job: Job, sender: Sender) -> tuple[str, bool]:
    """(what went wrong or "", whether trying again could help)."""
    template = config.template(job.channel_key)
    url = render(template, job.recipient) if template else None
    if url is None:
        return "the channel is no longer configured for this person", False
    try:
        return sender(url, job.message, config.timeout), True
    except Unusable as exc:
        return str(exc), False
    except Exception as exc:  # a channel's failure, whatever it is, is that delivery's failure
        log.exception("delivery %s raised", job.delivery_id)
        return f"{exc.__class__.__name__}: {exc}"[:1000], True


def send_due(
    kernel: Kernel, config: DeliveryConfig, batch: int = 50, sender: Sender | None = None
) -> RoundReport:
    report = RoundReport()
    jobs = _claim(kernel, config, batch)
    results = [(job, *_attempt(config, job, sender or send_with_apprise)) for job in jobs]
    if not results:
        return report
    now = kernel.clock.now()
    with kernel.db.unit_of_work() as uow:
        for job, error, retry in results:
            delivery = uow.session.get(NotificationDelivery, job.delivery_id)
            if delivery is None or delivery.status != "pending":
                continue
            delivery.attempts += 1
            if not error:
                delivery.status, delivery.sent_at, delivery.last_error = "sent", now, ""
                report.sent += 1
            elif retry and delivery.attempts < config.max_attempts:
                wait = config.retry_seconds * 2 ** (delivery.attempts - 1)
                delivery.next_attempt_at, delivery.last_error = now + dt.timedelta(seconds=wait), error
                report.retrying += 1
            else:
                delivery.status, delivery.failed_at, delivery.last_error = "failed", now, error
                report.failed.append(delivery.id)
                log.warning("delivery %s failed for good: %s", delivery.id, error)
        uow.commit()
    return report


def anything_due(session: Session, now: dt.datetime) -> bool:
    due = select(NotificationDelivery.id).where(
        NotificationDelivery.status == "pending", NotificationDelivery.next_attempt_at <= now
    )
    return session.execute(due.limit(1)).first() is not None


def send_again(session: Session, delivery_id: int, now: dt.datetime) -> int:
    """Put a failed delivery back in line with a fresh count of tries (the administrator's retry)."""
    result = session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id == delivery_id, NotificationDelivery.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=now, failed_at=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
