"""/api/v1/inbox/* and /api/v1/notifications: the lists beside the to-do list (已办, 我发起的,
抄送我的, 待加签), the navigation counts, and the notification bell.

Each list is the caller's own: the service selects by the caller's account, so there is no
identifier in the path to guess. The lists are paged (`after`, `limit`; `X-Total-Count` and a
`Link` to the next page in the headers, see `paging`).
"""

from __future__ import annotations

from typing import Any

from xianfeng.engine.services import inbox, inbox_paging, inbox_query, notifications

from ..context import kernel, require_actor
from .common import ApiBlueprint, ListQuery, protected, query
from .paging import PAGE_HEADERS, PageQuery, as_args, paged
from .read_schemas import (
    CopySchema,
    CountsSchema,
    DoneSchema,
    MarkedSchema,
    MarkReadBody,
    NotificationSchema,
    SigningSchema,
    StartedSchema,
    UnreadSchema,
)

blueprint = ApiBlueprint(
    "inbox_api", __name__, url_prefix="/api/v1", description="Inbox lists and notifications"
)


@blueprint.route("/inbox/done", methods=["GET"])
@protected(blueprint, 422)
@query(blueprint, PageQuery)
@blueprint.response(200, DoneSchema(many=True), headers=PAGE_HEADERS)
def done(args: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """已办: what the caller completed, returned, signed, gave back or started, newest first"""
    ask = inbox_query.list_query(as_args(args), args["limit"])
    return paged(inbox_paging.done_page(kernel(), require_actor(), ask))


@blueprint.route("/inbox/started", methods=["GET"])
@protected(blueprint, 422)
@query(blueprint, PageQuery)
@blueprint.response(200, StartedSchema(many=True), headers=PAGE_HEADERS)
def started(args: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """我发起的: instances the caller started and where each one waits, newest first"""
    ask = inbox_query.list_query(as_args(args), args["limit"])
    return paged(inbox_paging.started_page(kernel(), require_actor(), ask))


@blueprint.route("/inbox/copies", methods=["GET"])
@protected(blueprint, 422)
@query(blueprint, PageQuery)
@blueprint.response(200, CopySchema(many=True), headers=PAGE_HEADERS)
def copies(args: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """抄送我的: instances copied to the caller for information, newest first"""
    ask = inbox_query.list_query(as_args(args), args["limit"])
    return paged(inbox_paging.copies_page(kernel(), require_actor(), ask))


@blueprint.route("/inbox/signing", methods=["GET"])
@protected(blueprint, 422)
@query(blueprint, PageQuery)
@blueprint.response(200, SigningSchema(many=True), headers=PAGE_HEADERS)
def signing(args: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """待加签: co-signatures waiting for the caller, oldest request first"""
    ask = inbox_query.list_query(as_args(args), args["limit"])
    return paged(inbox_paging.signing_page(kernel(), require_actor(), ask))


@blueprint.route("/inbox/counts", methods=["GET"])
@protected(blueprint)
@blueprint.response(200, CountsSchema)
def counts() -> dict[str, int]:
    """The numbers for the navigation bar: to do, unread copies, signatures, unread notifications"""
    return inbox.counts(kernel(), require_actor())


@blueprint.route("/notifications", methods=["GET"])
@protected(blueprint, 422)
@query(blueprint, ListQuery)
@blueprint.response(200, NotificationSchema(many=True))
def list_notifications(args: dict[str, int]) -> list[dict[str, Any]]:
    """The caller's notifications, newest first"""
    return notifications.list_for(kernel(), require_actor(), limit=args["limit"])


@blueprint.route("/notifications/unread", methods=["GET"])
@protected(blueprint)
@blueprint.response(200, UnreadSchema)
def unread() -> dict[str, int]:
    """How many of the caller's notifications are unread (for the bell)"""
    return {"unread": notifications.unread_count(kernel(), require_actor())}


@blueprint.route("/notifications/read", methods=["POST"])
@protected(blueprint, 422)
@blueprint.arguments(MarkReadBody)
@blueprint.response(200, MarkedSchema)
def mark_read(body: dict[str, Any]) -> dict[str, int]:
    """Mark the caller's notifications read: those listed in `ids`, or all of them

    Ids of other people's notifications are ignored, never an error: the answer counts only the
    caller's own notifications that were unread.
    """
    return {"marked": notifications.mark_read(kernel(), require_actor(), body["ids"])}
