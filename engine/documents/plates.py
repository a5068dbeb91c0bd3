"""A model post's printable nameplate (铭牌, 90 mm × 55 mm) and certificate (A4 landscape), each with
a QR code leading to the post's public page, where villagers read its duties and pledge and
comment or complain (R4: 挂牌, 群众监督)."""

from __future__ import annotations

from ..services.villages import PublicPost
from .pdf import case_qr_data_uri, render_html, write_pdf


def nameplate_pdf(post: PublicPost, public_url: str) -> bytes:
    return write_pdf(render_html("nameplate.html", p=post, qr=case_qr_data_uri(public_url)))


def certificate_pdf(post: PublicPost, public_url: str) -> bytes:
    return write_pdf(render_html("certificate.html", p=post, qr=case_qr_data_uri(public_url)))
