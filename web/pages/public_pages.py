"""Pages for villagers, without an account: the notice board (公示栏), objections and their status,
and the single-use survey links with their QR codes.

They show what the notice or the survey itself shows and nothing else of the case: no internal
title, no names of approvers, no data beyond the form.
"""

from __future__ import annotations

import io
import re
from typing import Any

import segno
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from xianfeng.engine.errors import FormInvalid, NotFound, RuleViolation, XianfengError
from xianfeng.engine.services import limits, notices, taskview
from xianfeng.engine.services import tasks as task_service

from ..context import kernel
from . import formview
from .ratelimit import objection_key

blueprint = Blueprint("public", __name__)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")
_RECEIPT = re.compile(r"[A-Za-z0-9-]{4,40}")


@blueprint.get("/public/notices")
def notice_board() -> Any:
    return render_template("public/notices.html", **notices.board(kernel()))


def _active_notice(notice_id: int) -> dict[str, Any]:
    for notice in notices.active_notices(kernel()):
        if notice["id"] == notice_id:
            return notice
    raise NotFound(f"no active notice {notice_id}", notice_id=notice_id)


def _objection_page(notice: dict[str, Any], error: str = "", status: int = 200) -> tuple[str, int]:
    page = render_template(
        "public/objection.html",
        notice=notice,
        text=request.form.get("text", ""),
        contact=request.form.get("contact", ""),
        error=error,
        max_length=notices.MAX_OBJECTION_LENGTH,
    )
    return page, status


@blueprint.get("/public/notices/<int:notice_id>/object")
def objection_form(notice_id: int) -> Any:
    return _objection_page(_active_notice(notice_id))


@blueprint.post("/public/notices/<int:notice_id>/object")
def file_objection(notice_id: int) -> Any:
    key = objection_key(request.remote_addr)
    # How many objections a client may file in a window is the notice's diagram's (objectionLimit).
    quota = notices.objection_quota(kernel(), notice_id)
    taken = limits.take(kernel(), key, quota.limit, quota.window) if quota is not None else None
    if taken is not None and not taken.allowed:
        assert quota is not None
        minutes = int(quota.window.total_seconds() // 60)
        page = render_template("public/too_many.html", limit=quota.limit, minutes=minutes)
        return page, 429, {"Retry-After": str(taken.retry_after)}
    text, contact = request.form.get("text", "").strip(), request.form.get("contact", "").strip()
    try:
        receipt = notices.file_objection(kernel(), notice_id, text, contact)
    except XianfengError as error:
        if taken is not None:
            limits.give_back(kernel(), key)  # a refused objection does not count
        if not isinstance(error, RuleViolation) or error.params.get("field") != "text":
            raise
        return _objection_page(_active_notice(notice_id), error="length", status=422)
    return redirect(url_for("public.objection_status", receipt_no=receipt["receipt_no"], new=1))


@blueprint.get("/public/objections")
def find_objection() -> Any:
    receipt_no = request.args.get("receipt_no", "").strip()
    if not _RECEIPT.fullmatch(receipt_no):
        return redirect(url_for("public.notice_board"))
    return redirect(url_for("public.objection_status", receipt_no=receipt_no))


@blueprint.get("/public/objections/<receipt_no>")
def objection_status(receipt_no: str) -> Any:
    status = notices.objection_status(kernel(), receipt_no)
    new = bool(request.args.get("new"))
    return render_template("public/objection_status.html", objection=status, new=new)


def _survey_page(
    view: taskview.PublicTaskView, values: dict[str, Any] | None = None, error: FormInvalid | None = None
) -> tuple[str, int]:
    by_field, general = formview.messages_of(view.form, error) if error else ({}, [])
    page = render_template(
        "public/survey.html",
        view=view,
        fields=formview.fields_of(view.form, values, by_field),
        general_errors=general,
    )
    return page, 422 if error else 200


@blueprint.get("/s/<token>")
def survey(token: str) -> Any:
    return _survey_page(taskview.public_task_view(kernel(), token))


@blueprint.post("/s/<token>")
def answer(token: str) -> Any:
    view = taskview.public_task_view(kernel(), token)
    data = formview.parse(view.form, request.form)
    try:
        task_service.complete_by_token(kernel(), token, data)
    except FormInvalid as error:
        return _survey_page(view, data, error)
    return redirect(url_for("public.thanks"))


@blueprint.get("/public/thanks")
def thanks() -> Any:
    return render_template("public/thanks.html")


@blueprint.get("/s/<token>/qr.png")
def qr_code(token: str) -> Any:
    """The link as a QR code to print; it encodes only the address, so it needs no database read."""
    if not _TOKEN.fullmatch(token):
        abort(404)
    address = url_for("public.survey", token=token, _external=True)
    image = io.BytesIO()
    segno.make(address, error="m").save(image, kind="png", scale=6, border=2)
    headers = {"Cache-Control": "private, max-age=3600"}
    return Response(image.getvalue(), mimetype="image/png", headers=headers)
