"""Operations of a villager's comment or complaint (群众监督, R4): register it with its receipt
number, and record the branch's answer that the receipt page then shows."""

from __future__ import annotations

from typing import Any

from ...clock import CHINA_TZ
from ...errors import NotFound, RuleViolation, ServiceTaskError
from ...journal import capture
from ...models import ModelPost, ResponsibilityArea, Village, VillageComment
from .context import ServiceContext


def _receipt_number(ctx: ServiceContext) -> str:
    return f"JD{ctx.now.astimezone(CHINA_TZ):%Y%m%d}-{ctx.chance.token_hex(3).upper()}"


def _subject(ctx: ServiceContext, post_id: int | None, area_id: int | None) -> str:
    """What the comment is about, in words, checked to be of this village."""
    if post_id is not None:
        post = ctx.session.get(ModelPost, post_id)
        if post is None or post.village_id != ctx.village_id or post.status != "active":
            raise RuleViolation(
                f"model post {post_id} is not an active post of this village", field="post_id"
            )
        return f"示范岗 {post.plate_no}（{post.title}）"
    if area_id is not None:
        area = ctx.session.get(ResponsibilityArea, area_id)
        if area is None or area.village_id != ctx.village_id or area.status != "active":
            raise RuleViolation(f"area {area_id} is not an active area of this village", field="area_id")
        return f"责任区“{area.name}”"
    return ""


def register_comment(
    ctx: ServiceContext, kind: str, text: str, contact: str, post_id: int | None, area_id: int | None
) -> dict[str, Any]:
    village = ctx.session.get(Village, ctx.village_id) if ctx.village_id is not None else None
    if village is None:
        raise NotFound("a comment belongs to a village", village_id=ctx.village_id)
    about = _subject(ctx, post_id, area_id)
    comment = VillageComment(
        receipt_no=_receipt_number(ctx),
        village_id=village.id,
        branch_id=village.branch_id,
        instance_id=ctx.instance_id,
        kind=kind,
        post_id=post_id,
        area_id=area_id,
        text=str(text).strip(),
        contact=str(contact or "").strip()[:64],
        filed_at=ctx.now,
        status="pending",
    )
    ctx.session.add(comment)
    ctx.session.flush()
    return {
        "comment_id": comment.id,
        "receipt_no": comment.receipt_no,
        "village": village.name,
        "about": about,
    }


def answer_comment(ctx: ServiceContext, comment_id: int, answer: str) -> dict[str, Any]:
    """The branch's answer, shown to the villager on the receipt page."""
    text = str(answer or "").strip()
    if not text:
        raise ServiceTaskError("an answer to a comment needs its text")
    keys = capture.update_where(
        ctx.session,
        VillageComment,
        (VillageComment.id == int(comment_id), VillageComment.instance_id == ctx.instance_id),
        {"status": "answered", "answer": text, "answered_at": ctx.now},
    )
    if not keys:
        raise ServiceTaskError(f"comment {comment_id} is not this case's")
    return {"comment_id": int(comment_id), "status": "answered"}
