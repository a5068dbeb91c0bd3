"""Printed evidence as files: what the CLI writes and the web sends. One call each, so a view or a
command does no more than name the subject, the format and (for a 审批表) the case's address."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...actor import Actor
from ...errors import NotFound
from ...kernel import Kernel
from .dossier import approval_form, dossier, reader_branch

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"pdf": "application/pdf", "xlsx": XLSX, "json": "application/json"}
DOSSIER_FORMATS = tuple(MEDIA_TYPES)


@dataclass(frozen=True)
class PrintedFile:
    name: str  # a file name to offer (Chinese, no path)
    media_type: str
    content: bytes
    head_seq: int
    head_hash: str
    verified: bool


def case_url(base_url: str, instance_id: int) -> str:
    """Where a case is read online: the server's address and the case page (what its QR code holds)."""
    return f"{base_url.rstrip('/')}/instances/{instance_id}"


def check_format(fmt: str) -> str:
    """The format asked for, or NotFound naming the formats there are (before any work is done)."""
    if fmt not in MEDIA_TYPES:
        raise NotFound(f"no dossier format {fmt!r}; formats: {', '.join(DOSSIER_FORMATS)}", format=fmt)
    return fmt


def _file_name(title: str, suffix: str) -> str:
    return re.sub(r"[\s/\\:]+", "-", title).strip("-") + "." + suffix


def dossier_file(kernel: Kernel, actor: Actor, kind: str, key: str, fmt: str) -> PrintedFile:
    from ...documents import excel, json_document, pdf

    check_format(fmt)
    reader_branch(actor)  # refuse before collecting anything
    made = dossier(kernel, actor, kind, key)
    render = {"pdf": pdf.dossier_pdf, "xlsx": excel.dossier_xlsx, "json": json_document.to_json}[fmt]
    return PrintedFile(
        _file_name(made.title, fmt),
        MEDIA_TYPES[fmt],
        render(made),
        made.seal.head_seq,
        made.seal.head_hash,
        made.seal.ok,
    )


def approval_form_file(kernel: Kernel, actor: Actor, instance_id: int, url: str) -> PrintedFile:
    from ...documents import pdf

    form = approval_form(kernel, actor, instance_id, url)
    return PrintedFile(
        _file_name(f"审批表-案件{instance_id}", "pdf"),
        MEDIA_TYPES["pdf"],
        pdf.approval_form_pdf(form),
        form.seal.head_seq,
        form.seal.head_hash,
        form.seal.ok,
    )
