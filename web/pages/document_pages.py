"""Printed evidence to download: a dossier of a member, post, area, branch or year (PDF, Excel,
JSON) and a case's 审批表 (PDF), each sealed with the chain head it was made at.

Making a PDF takes a second or more (WeasyPrint lays out every page), so these are plain
downloads: the browser shows its own progress, and the worker is busy only as long as the layout.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, send_file, url_for

from xianfeng.engine.actor import Actor
from xianfeng.engine.errors import NotAllowed
from xianfeng.engine.services.audit import dossier, printing

from ..auth import login_required
from ..context import actor as current_actor
from ..context import kernel, require_actor

blueprint = Blueprint("documents", __name__)


def may_print_evidence(actor: Actor | None) -> bool:
    """Whether to offer the downloads; the service decides what each actor may print."""
    if actor is None:
        return False
    try:
        dossier.reader_branch(actor)
    except NotAllowed:
        return False
    return True


@blueprint.app_context_processor
def _evidence_links() -> dict[str, Any]:
    return {"may_print_evidence": may_print_evidence(current_actor())}


def _send(printed: printing.PrintedFile) -> Any:
    # Werkzeug sends the Chinese name as RFC 5987 `filename*` with an ASCII fallback.
    response = send_file(
        io.BytesIO(printed.content),
        mimetype=printed.media_type,
        as_attachment=True,
        download_name=printed.name,
    )
    response.headers["X-Chain-Head"] = f"{printed.head_seq}:{printed.head_hash}"
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/dossiers/<kind>/<key>.<fmt>")
@login_required
def dossier_file(kind: str, key: str, fmt: str) -> Any:
    return _send(printing.dossier_file(kernel(), require_actor(), kind, key, fmt))


@blueprint.get("/instances/<int:instance_id>/approval-form.pdf")
@login_required
def approval_form(instance_id: int) -> Any:
    url = url_for("instances.show", instance_id=instance_id, _external=True)
    return _send(printing.approval_form_file(kernel(), require_actor(), instance_id, url))
