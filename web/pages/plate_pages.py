"""A model post's nameplate (铭牌) and certificate as PDFs to print (R4), linked from the post's
page; each carries a QR code to the post's public page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, url_for

from xianfeng.engine.documents.plates import certificate_pdf, nameplate_pdf
from xianfeng.engine.services import villages

from ..auth import login_required
from ..context import kernel, require_actor

blueprint = Blueprint("plates", __name__, url_prefix="/posts")


def _pdf(content: bytes, name: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, max-age=300"}
    return Response(content, mimetype="application/pdf", headers=headers)


@blueprint.get("/<int:post_id>/nameplate.pdf")
@login_required
def nameplate(post_id: int) -> Any:
    post = villages.printable_post(kernel(), require_actor(), post_id)
    address = url_for("villages.post", post_id=post_id, _external=True)
    return _pdf(nameplate_pdf(post, address), f"nameplate-{post.plate_no}.pdf")


@blueprint.get("/<int:post_id>/certificate.pdf")
@login_required
def certificate(post_id: int) -> Any:
    post = villages.printable_post(kernel(), require_actor(), post_id)
    address = url_for("villages.post", post_id=post_id, _external=True)
    return _pdf(certificate_pdf(post, address), f"certificate-{post.plate_no}.pdf")
