"""村务公开: each village's public page, without an account (R4 群众监督, R10 定期公开): its model
posts with member, title, duties, pledge and plate number; its responsibility areas with members,
lead, scope and goals; the archive of the areas' disclosures; and a form for villagers' comments
and complaints, with a receipt number to look the branch's answer up. A post's own page is where
its nameplate's QR code leads.

The comment form is the start form of the procedure the diagrams offer for comments; how many a
client may file in a window is that diagram's (`commentLimit`), counted in the shared limits table.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from xianfeng.engine.errors import FormInvalid
from xianfeng.engine.services import limits, village_comments, villages

from ..context import kernel
from . import formview, labels

blueprint = Blueprint("villages", __name__)
_RECEIPT = re.compile(r"[A-Za-z0-9-]{4,40}")


def comment_key(address: str | None) -> str:
    return limits.key_of("comment", "addr", address or "unknown")


@blueprint.get("/public/villages")
def index() -> Any:
    return render_template("public/villages.html", villages=villages.public_villages(kernel()))


def _comment_form(values: dict[str, Any] | None = None, error: FormInvalid | None = None) -> dict[str, Any]:
    form = village_comments.comment_form(kernel())
    by_field, general = formview.messages_of(form, error) if error else ({}, [])
    return {
        "title": form.title.get(labels.lang(), form.name),
        "description": form.description.get(labels.lang(), ""),
        "fields": formview.fields_of(form, values, by_field),
        "general_errors": general,
    }


def _village_page(
    village_id: int, values: dict[str, Any] | None = None, error: FormInvalid | None = None
) -> Any:
    page = render_template(
        "public/village.html",
        village=villages.public_village(kernel(), village_id),
        comment=_comment_form(values, error),
    )
    return page, 422 if error else 200


@blueprint.get("/public/villages/<int:village_id>")
def show(village_id: int) -> Any:
    return _village_page(village_id)


def _post_page(post_id: int, values: dict[str, Any] | None = None, error: FormInvalid | None = None) -> Any:
    page = render_template(
        "public/post.html", post=villages.public_post(kernel(), post_id), comment=_comment_form(values, error)
    )
    return page, 422 if error else 200


@blueprint.get("/public/posts/<int:post_id>")
def post(post_id: int) -> Any:
    return _post_page(post_id)


def _too_many() -> Any | None:
    """The refusal page when the client has filed its quota of comments (the diagram's limit)."""
    quota = village_comments.comment_quota(kernel())
    if quota is None:
        return None
    taken = limits.take(kernel(), comment_key(request.remote_addr), quota.limit, quota.window)
    if taken.allowed:
        return None
    minutes = int(quota.window.total_seconds() // 60)
    page = render_template("public/comments_too_many.html", limit=quota.limit, minutes=minutes)
    return page, 429, {"Retry-After": str(taken.retry_after)}


def _file(village_id: int, post_id: int | None, refused: Any) -> Any:
    refusal = _too_many()
    if refusal is not None:
        return refusal
    data = formview.parse(village_comments.comment_form(kernel()), request.form)
    try:
        receipt = village_comments.file_comment(kernel(), village_id, data, post_id=post_id)
    except FormInvalid as error:
        if village_comments.comment_quota(kernel()) is not None:
            limits.give_back(kernel(), comment_key(request.remote_addr))  # a refused form does not count
        return refused(data, error)
    return redirect(url_for("villages.comment_status", receipt_no=receipt["receipt_no"], new=1))


@blueprint.post("/public/villages/<int:village_id>/comments")
def comment(village_id: int) -> Any:
    villages.public_village(kernel(), village_id)  # an unknown village is 404 before anything is counted
    return _file(village_id, None, lambda data, error: _village_page(village_id, data, error))


@blueprint.post("/public/posts/<int:post_id>/comments")
def comment_on_post(post_id: int) -> Any:
    found = villages.public_post(kernel(), post_id)
    if found.village_id is None or found.status != "active":
        return redirect(url_for("villages.post", post_id=post_id))
    return _file(found.village_id, post_id, lambda data, error: _post_page(post_id, data, error))


@blueprint.get("/public/comments")
def find_comment() -> Any:
    receipt_no = request.args.get("receipt_no", "").strip()
    if not _RECEIPT.fullmatch(receipt_no):
        return redirect(url_for("villages.index"))
    return redirect(url_for("villages.comment_status", receipt_no=receipt_no))


@blueprint.get("/public/comments/<receipt_no>")
def comment_status(receipt_no: str) -> Any:
    status = village_comments.comment_status(kernel(), receipt_no)
    kinds = village_comments.comment_form(kernel()).schema["properties"]["kind"]
    return render_template(
        "public/comment_status.html",
        comment=status,
        kind=labels.option_text(kinds, status["kind"]),
        new=bool(request.args.get("new")),
    )
