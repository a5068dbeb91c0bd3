"""File fields (x-widget "file"): which kinds of file a form may ask for, and how each is recognised.

A file field holds the sha256 of each uploaded file (x-source "attachments"); the form's `x-accept`
names the extensions it takes, from the kinds below. A file is accepted only when its first bytes
match its extension, and it is always served with the media type of that kind, never the one the
uploader claimed, so that a page disguised as a photo cannot run in an approver's browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ATTACHMENT_SOURCE = "attachments"
SHA256_PATTERN = "^[0-9a-f]{64}$"


@dataclass(frozen=True)
class FileKind:
    media_type: str
    magic: tuple[bytes, ...]
    shown_inline: bool = False


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc and .xls
_ZIP = b"PK\x03\x04"  # the container of .docx and .xlsx
KINDS: dict[str, FileKind] = {
    ".jpg": FileKind("image/jpeg", (b"\xff\xd8\xff",), True),
    ".jpeg": FileKind("image/jpeg", (b"\xff\xd8\xff",), True),
    ".png": FileKind("image/png", (b"\x89PNG\r\n\x1a\n",), True),
    ".pdf": FileKind("application/pdf", (b"%PDF-",)),
    ".doc": FileKind("application/msword", (_OLE,)),
    ".xls": FileKind("application/vnd.ms-excel", (_OLE,)),
    ".docx": FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (_ZIP,)),
    ".xlsx": FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (_ZIP,)),
}


def accepted(prop: dict[str, Any]) -> list[str]:
    """The extensions a file field takes: its `x-accept` (".jpg,.pdf"), or every known kind."""
    raw = prop.get("x-accept")
    if not raw:
        return list(KINDS)
    return [part.strip().lower() for part in str(raw).split(",") if part.strip()]


def is_file_field(prop: dict[str, Any]) -> bool:
    return prop.get("x-widget") == "file"


def extension_of(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def kind_of(name: str, content: bytes) -> FileKind | None:
    """The kind of a file whose first bytes match its extension; None for anything else."""
    kind = KINDS.get(extension_of(name))
    if kind is None or not any(content.startswith(magic) for magic in kind.magic):
        return None
    return kind
