"""PDFs in Chinese: Jinja templates laid out by WeasyPrint (CSS paged media) in the system's Noto
CJK font (`fonts-noto-cjk`), A4, with the page count and the chain head in the margins.

WeasyPrint would fetch `file:` and `http(s):` addresses a template named; the fetcher here
allows `data:` only, so a document is made from what is passed in and nothing else. WeasyPrint
is imported on first use: it loads Pango and HarfBuzz, which a command that prints no PDF
should not pay for.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from typing import Any

import jinja2
import segno

from ..clock import CHINA_TZ
from ..services.audit.dossier_model import ApprovalForm, Dossier

QR_ERROR_LEVEL = "m"


def _time(value: dt.datetime | None, pattern: str) -> str:
    return value.astimezone(CHINA_TZ).strftime(pattern) if value is not None else "—"


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("xianfeng.engine.documents", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cntime"] = lambda v: _time(v, "%Y-%m-%d %H:%M")
    env.filters["cndate"] = lambda v: _time(v, "%Y-%m-%d")
    env.filters["cnclock"] = lambda v: _time(v, "%H:%M")
    return env


def case_qr_png(url: str) -> bytes:
    """The QR code leading to a case, as PNG (a raster keeps it one image a scanner and a test can
    read back from the PDF)."""
    out = io.BytesIO()
    segno.make(url, error=QR_ERROR_LEVEL).save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def case_qr_data_uri(url: str) -> str:
    return segno.make(url, error=QR_ERROR_LEVEL).png_data_uri(scale=8, border=2)


def render_html(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def write_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf


def dossier_pdf(dossier: Dossier) -> bytes:
    return write_pdf(render_html("dossier.html", d=dossier))


def approval_form_pdf(form: ApprovalForm) -> bytes:
    return write_pdf(render_html("approval_form.html", a=form, qr=case_qr_data_uri(form.url)))
