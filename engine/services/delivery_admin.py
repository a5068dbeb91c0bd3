"""The administrator's view of delivery: how many deliveries wait, went out or failed, the failed
ones with their last error, and sending a failed one again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ..actor import Actor
from ..errors import NotAllowed, NotFound
from ..kernel import Kernel
from ..models import Notification, NotificationDelivery, User
from ..models.org import ROLE_ADMIN
from . import delivery, delivery_config


@dataclass(frozen=True)
class FailedDelivery:
    id: int
    notification_id: int
    kind: str
    title: str
    username: str
    display_name: str
    channel: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    failed_at: dt.datetime | None


@dataclass(frozen=True)
class DeliveryOverview:
    configured: bool
    counts: dict[str, int]  # pending / sent / failed
    failed: list[FailedDelivery]


def _check(actor: Actor) -> None:
    if not actor.has(ROLE_ADMIN):
        raise NotAllowed(f"{actor.username} is not an administrator; deliveries are the administrator's")


def overview(kernel: Kernel, actor: Actor, limit: int = 200) -> DeliveryOverview:
    _check(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        counts = {"pending": 0, "sent": 0, "failed": 0}
        for status, count in session.execute(
            select(NotificationDelivery.status, func.count()).group_by(NotificationDelivery.status)
        ):
            counts[str(status)] = int(count)
        rows = session.execute(
            select(
                NotificationDelivery, Notification.kind, Notification.title, User.username, User.display_name
            )
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .join(User, User.id == NotificationDelivery.user_id)
            .where(NotificationDelivery.status == "failed")
            .order_by(NotificationDelivery.failed_at.desc(), NotificationDelivery.id.desc())
            .limit(limit)
        ).all()
        failed = [
            FailedDelivery(
                d.id,
                d.notification_id,
                kind,
                title,
                username,
                name,
                d.channel,
                d.attempts,
                d.last_error,
                d.created_at,
                d.failed_at,
            )
            for d, kind, title, username, name in rows
        ]
    return DeliveryOverview(delivery_config.load(kernel.settings).enabled, counts, failed)


def send_again(kernel: Kernel, actor: Actor, delivery_id: int) -> None:
    """The next ticker round tries it again, with the full number of tries."""
    _check(actor)
    with kernel.db.unit_of_work() as uow:
        if not delivery.send_again(uow.session, delivery_id, kernel.clock.now()):
            raise NotFound(f"no failed delivery {delivery_id}", delivery_id=delivery_id)
        uow.commit()
