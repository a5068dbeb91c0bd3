"""Notifications a diagram sends on purpose (e.g. a rectification deadline missed), written to the
outbox in the step's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from ...models import Notification, User, UserRole
from ...models.org import ROLE_BRANCH
from .context import ServiceContext


def send(ctx: ServiceContext, user_ids: list[int], kind: str, title: str, body: str) -> int:
    if user_ids:
        ctx.session.execute(
            insert(Notification),
            [
                {
                    "user_id": uid,
                    "kind": kind,
                    "title": title[:255],
                    "body": body,
                    "instance_id": ctx.instance_id,
                    "task_id": "",
                    "created_at": ctx.now,
                }
                for uid in dict.fromkeys(user_ids)
            ],
        )
    return len(set(user_ids))


def notify_branch(ctx: ServiceContext, title: str, body: str) -> dict[str, Any]:
    """Tell the branch secretaries of the instance's branch."""
    secretaries = list(
        ctx.session.execute(
            select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == ROLE_BRANCH, User.branch_id == ctx.branch_id, User.active.is_(True))
        ).scalars()
    )
    return {"notified": send(ctx, secretaries, "escalation", title, body)}


def notify_member(ctx: ServiceContext, member_id: int, title: str, body: str) -> dict[str, Any]:
    users = list(ctx.session.execute(select(User.id).where(User.member_id == member_id)).scalars())
    return {"notified": send(ctx, users, "notice", title, body)}
