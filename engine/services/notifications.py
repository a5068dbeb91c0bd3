"""The notification outbox: rows written in the same transaction as the step or verb that caused
them, shown in-app (the bell), and handed to a delivery adapter (log-only unless one is set)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ..actor import Actor
from ..journal import deferral
from ..kernel import Kernel
from ..models import Notification, ProcessInstance, User, UserRole
from ..models.org import ROLE_BRANCH, ROLE_COMMITTEE, ROLE_MEMBER, ROLE_PUBLIC
from ..process.moments import element_names
from . import delivery, delivery_config

log = logging.getLogger("xianfeng.notifications")

_INSERT = insert(Notification)
_ROLE_HOLDERS = (
    select(User.id)
    .join(UserRole, UserRole.user_id == User.id)
    .where(UserRole.role == bindparam("role"), User.active.is_(True))
)


def recipients_for_task(
    session: Session, role: str, branch_id: int | None, assignee_user_id: int | None
) -> list[int]:
    """Who should hear of a task: its assignee, or everyone holding its role within its scope."""
    if assignee_user_id is not None:
        return [assignee_user_id]
    if role == ROLE_PUBLIC:
        return []
    statement = _ROLE_HOLDERS
    if role in (ROLE_BRANCH, ROLE_MEMBER):
        statement = statement.where(User.branch_id == branch_id)
    elif role != ROLE_COMMITTEE:
        return []
    return list(session.connection().execute(statement, {"role": role}).scalars())


def notify(
    session: Session,
    user_ids: Iterable[int],
    kind: str,
    title: str,
    at: dt.datetime,
    body: str = "",
    instance_id: int | None = None,
    task_id: str = "",
) -> int:
    rows = [
        {
            "user_id": uid,
            "kind": kind,
            "title": title[:255],
            "body": body,
            "instance_id": instance_id,
            "task_id": task_id,
            "created_at": at,
        }
        for uid in dict.fromkeys(user_ids)
    ]
    if rows:
        deferral.run(session.connection(), _INSERT, rows, "notification", ())
    return len(rows)


def unread_count(kernel: Kernel, actor: Actor) -> int:
    if actor.user_id is None:
        return 0
    with kernel.db.unit_of_work(write=False) as uow:
        return int(
            uow.session.execute(
                select(func.count())
                .select_from(Notification)
                .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
            ).scalar_one()
        )


def list_for(
    kernel: Kernel, actor: Actor, limit: int = 50, unread_only: bool = False
) -> list[dict[str, Any]]:
    with kernel.db.unit_of_work(write=False) as uow:
        statement = (
            select(Notification, ProcessInstance.title, ProcessInstance.process_version_id)
            .outerjoin(ProcessInstance, ProcessInstance.id == Notification.instance_id)
            .where(Notification.user_id == actor.user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
        if unread_only:
            statement = statement.where(Notification.read_at.is_(None))
        rows = uow.session.execute(statement).all()
        english = _EnglishNames(kernel, uow.session)
        return [
            {
                "id": n.id,
                "kind": n.kind,
                "title": n.title,
                # The title's English, when it names a step or an ending of the case's diagram.
                "title_en": english.of(version_id, n.title),
                "body": n.body,
                "instance_id": n.instance_id,
                "instance_title": title or "",
                "task_id": n.task_id,
                "created_at": n.created_at,
                "read": n.read_at is not None,
            }
            for n, title, version_id in rows
        ]


class _EnglishNames:
    """Names of a pinned version's elements, Chinese to English, read once per version."""

    def __init__(self, kernel: Kernel, session: Session) -> None:
        self.kernel, self.session = kernel, session
        self._known: dict[int, dict[str, str]] = {}

    def of(self, version_id: int | None, name: str) -> str:
        if version_id is None:
            return ""
        if version_id not in self._known:
            names = element_names(self.kernel.catalog.get(self.session, version_id))
            self._known[version_id] = {chinese: english for chinese, english in names.values() if english}
        return self._known[version_id].get(name, "")


def mark_read(kernel: Kernel, actor: Actor, ids: list[int] | None = None) -> int:
    with kernel.db.unit_of_work() as uow:
        statement = update(Notification).where(
            Notification.user_id == actor.user_id, Notification.read_at.is_(None)
        )
        if ids is not None:
            statement = statement.where(Notification.id.in_(ids))
        result = uow.session.execute(statement.values(read_at=kernel.clock.now()))
        uow.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


class DeliveryAdapter(Protocol):
    """Sends one notification by SMS, e-mail… Raises to leave it unsent for the next round."""

    def send(self, user: User, notification: Notification) -> None: ...


class LogOnlyAdapter:
    def send(self, user: User, notification: Notification) -> None:
        log.info("notify %s: [%s] %s", user.username, notification.kind, notification.title)


_ANY_UNSENT = select(Notification.id).where(Notification.sent_at.is_(None)).limit(1)


def dispatch(kernel: Kernel, adapter: DeliveryAdapter | None = None, batch: int = 200) -> int:
    """Hand unsent notifications on. With delivery channels configured (`delivery_config`) and no
    adapter given, they go out through Apprise with retries (`delivery`); otherwise each is given to
    the adapter (log-only by default) and marked sent in the same transaction.

    The ticker calls this every second: whether anything waits is read first, so that an empty
    outbox costs no write lock."""
    if adapter is None:
        config = delivery_config.load(kernel.settings)
        if config.enabled:
            return _deliver(kernel, config, batch)
    adapter = adapter or LogOnlyAdapter()
    with kernel.db.unit_of_work(write=False) as uow:
        if uow.session.execute(_ANY_UNSENT).first() is None:
            return 0
    with kernel.db.unit_of_work() as uow:
        rows = uow.session.execute(
            select(Notification, User)
            .join(User, User.id == Notification.user_id)
            .where(Notification.sent_at.is_(None))
            .order_by(Notification.id)
            .limit(batch)
        ).all()
        sent = 0
        for notification, user in rows:
            try:
                adapter.send(user, notification)
            except Exception:  # a failing channel must not block the others; retried next round
                log.exception("delivery of notification %s failed", notification.id)
                continue
            notification.sent_at = kernel.clock.now()
            sent += 1
        uow.commit()
    return sent


def _deliver(kernel: Kernel, config: delivery_config.DeliveryConfig, batch: int) -> int:
    """Hand waiting notifications over to their channels and send what is due; how many moved."""
    with kernel.db.unit_of_work(write=False) as uow:
        unsent = uow.session.execute(_ANY_UNSENT).first() is not None
        due = delivery.anything_due(uow.session, kernel.clock.now())
    if not (unsent or due):
        return 0
    handed = delivery.hand_over(kernel, config, batch) if unsent else 0
    report = delivery.send_due(kernel, config)
    return handed + report.sent + report.retrying + len(report.failed)
