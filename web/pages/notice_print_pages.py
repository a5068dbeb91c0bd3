"""The printable 公示 (PDF) for the village's board: public like the board itself."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, url_for

from xianfeng.engine.documents.notice import notice_pdf
from xianfeng.engine.services import notice_print

from ..context import kernel

blueprint = Blueprint("notice_print", __name__)


@blueprint.get("/public/notices/<int:notice_id>/print.pdf")
def printable(notice_id: int) -> Any:
    address = url_for("public.objection_form", notice_id=notice_id, _external=True)
    pdf = notice_pdf(notice_print.printable(kernel(), notice_id, address))
    headers = {
        "Content-Disposition": f'inline; filename="notice-{notice_id}.pdf"',
        "Cache-Control": "private, max-age=300",
    }
    return Response(pdf, mimetype="application/pdf", headers=headers)


@blueprint.app_template_global("printable_notices")
def printable_notices(instance_id: int) -> list[int]:
    """The notices of a case on the board now, for the case page's print links."""
    return notice_print.on_board(kernel(), instance_id)
