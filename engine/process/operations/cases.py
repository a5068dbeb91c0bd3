"""Operations about a case as a whole: refuse a step for a reason the diagram states, tell the
people a case concerns how it went, and end the running cases that depend on a post.

Which reasons, which people and which message are the diagram's: these operations only carry
them out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...errors import RuleViolation, ServiceTaskError
from ...models import PendingMessage, ProcessInstance, Rectification, User
from .context import ServiceContext
from .notify import send

OUTCOME_NOTICE = "outcome"


def refuse(ctx: ServiceContext, reason: str) -> dict[str, Any]:
    """Refuse the step that reached this task, with the diagram's reason: nothing of it is kept
    (a nomination the rules do not allow is never started)."""
    text = str(reason or "").strip()
    if not text:
        raise ServiceTaskError("a refusal needs a reason")
    raise RuleViolation(text, instance_id=ctx.instance_id)


def _member_ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    ids = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if len(ids) != len([v for v in values if v is not None]):
        raise ServiceTaskError(f"member_ids must be member ids, not {value!r}")
    return ids


def notify_case(ctx: ServiceContext, member_ids: Any, title: str, body: str) -> dict[str, Any]:
    """Tell whoever started the case and the members it concerns (the nominee, the post's member)
    how it went; `title` names the case."""
    instance = ctx.session.get(ProcessInstance, ctx.instance_id)
    if instance is None:
        raise ServiceTaskError(f"instance {ctx.instance_id} does not exist")
    members = _member_ids(member_ids)
    users = list(ctx.session.execute(select(User.id).where(User.member_id.in_(members))).scalars())
    people = ([instance.started_by] if instance.started_by is not None else []) + users
    return {"notified": send(ctx, people, OUTCOME_NOTICE, title, body)}


def _dependents(ctx: ServiceContext, post_id: int) -> list[int]:
    """Running cases other than this one that concern the post: those started for it (their
    business key names it) and those holding one of its open rectifications."""
    keyed = select(ProcessInstance.id).where(
        ProcessInstance.status == "running",
        ProcessInstance.business_key.like(f"%:post:{int(post_id)}"),
    )
    rectifying = (
        select(ProcessInstance.id)
        .join(Rectification, Rectification.instance_id == ProcessInstance.id)
        .where(
            ProcessInstance.status == "running",
            Rectification.post_id == int(post_id),
            Rectification.status == "open",
        )
    )
    found = set(ctx.session.execute(keyed).scalars()) | set(ctx.session.execute(rectifying).scalars())
    found.discard(ctx.instance_id)
    return sorted(found)


def end_dependents(ctx: ServiceContext, post_id: int, message: str, reason: str) -> dict[str, Any]:
    """Send `message` to every running case that depends on the post (its assessments, with their
    rectifications); each catches it and ends, as its diagram says. Delivered by the next tick,
    each delivery an event in that case's own history."""
    if not message:
        raise ServiceTaskError("end_dependents needs the name of the message the dependent cases catch")
    ended = []
    for instance_id in _dependents(ctx, post_id):
        dependent = ctx.session.execute(
            select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
        ).scalar_one()
        ctx.session.add(
            PendingMessage(
                instance_id=instance_id,
                name=message,
                created_at=ctx.now,
                payload={"post_id": int(post_id), "reason": reason, "by_instance": ctx.instance_id},
            )
        )
        dependent.pending_messages += 1
        ended.append(instance_id)
    ctx.session.flush()
    return {"messaged": ended}
