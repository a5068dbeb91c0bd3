"""Reading an attached file (佐证材料) of a case.

Files are served with the media type of their kind (never the uploader's claim), `nosniff` and a
sandboxing CSP, so a file cannot act as a page of this site; photos open in the browser, other
kinds download.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request

from xianfeng.engine.services import attachments

from ..auth import login_required
from ..context import kernel, require_actor

blueprint = Blueprint("attachments", __name__)


def chosen_files() -> dict[str, list[attachments.Upload]]:
    """The files a form's file choosers sent, by field; a chooser left empty sends nothing."""
    return {
        name: [
            attachments.Upload(f.filename or "", f.read()) for f in request.files.getlist(name) if f.filename
        ]
        for name in request.files
    }


def file_response(info: attachments.AttachmentInfo, content: bytes) -> Response:
    disposition = "inline" if info.shown_inline else "attachment"
    ascii_name = info.name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    response = Response(content, mimetype=info.media_type)
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(info.name)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["ETag"] = f'"{info.sha256}"'
    return response


@blueprint.get("/instances/<int:instance_id>/attachments/<sha256>")
@login_required
def download(instance_id: int, sha256: str) -> Any:
    info, content = attachments.fetch(kernel(), require_actor(), instance_id, sha256)
    return file_response(info, content)
