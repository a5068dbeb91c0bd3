"""A 公示 printed for the village's board (A4, Chinese), with the QR code to the objection page."""

from __future__ import annotations

from ..services.notice_print import PrintableNotice
from .pdf import case_qr_data_uri, render_html, write_pdf


def notice_pdf(notice: PrintableNotice) -> bytes:
    return write_pdf(render_html("notice.html", n=notice, qr=case_qr_data_uri(notice.object_url)))
