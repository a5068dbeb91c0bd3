"""The diagrams an instance is pinned to, checked against their hashes before replay trusts them.

A process version names each of its files by sha256 and is itself named by the hash of that list
(`bundle_hash`, which every event of its instances carries). Replay parses those files, so their
stored bytes are checked first: a version row that is gone, a file missing, changed, cut short or
stored as text instead of bytes is a finding about the stored data, reported with the instance,
never an exception that stops `verify`. The check reads the rows themselves, not the catalog's
cache, so a server that parsed the files before they were tampered with still sees the tampering.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from ...errors import XianfengError
from ...kernel import Kernel
from ...models import Artifact, ProcessVersion
from ...process.bundle import sha256_hex
from ...process.catalog import LoadedVersion, bundle_hash


def describe(exc: BaseException) -> str:
    """A one-line account of an error met in stored data: its kind and its message."""
    if isinstance(exc, XianfengError):
        text = exc.message
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return " ".join(text.split())[:500]


class PinnedVersions:
    """Each process version checked and parsed once per verify run.

    Forked replay workers inherit what the parent loaded, so no worker parses a diagram again.
    """

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self._loaded: dict[int, LoadedVersion | str] = {}

    def get(self, session: Session, version_id: Any) -> LoadedVersion | str:
        """The parsed version, or why it cannot be had (a sentence naming the version)."""
        found = self._loaded.get(version_id)
        if found is None:
            found = self._loaded[version_id] = self._load(session, version_id)
        return found

    def _load(self, session: Session, version_id: Any) -> LoadedVersion | str:
        try:
            problem = check_version(session, version_id)
            return problem or self.kernel.catalog.get(session, version_id)
        except Exception as exc:  # whatever the stored rows hold, it is reported, never raised
            return f"process version {version_id} cannot be loaded: {describe(exc)}"


def check_version(session: Session, version_id: Any) -> str:
    """Why the stored version cannot be trusted, or "" when its rows match their hashes."""
    row = session.execute(
        select(
            ProcessVersion.process_key,
            ProcessVersion.version,
            ProcessVersion.bundle_hash,
            ProcessVersion.files,
        ).where(ProcessVersion.id == version_id)
    ).one_or_none()
    if row is None:
        return f"its process version {version_id} does not exist"
    label = f"process version {version_id} ({row.process_key} v{row.version})"
    files = _file_list(row.files)
    if files is None:
        return f"{label}: its list of files is not a list of names and hashes"
    if bundle_hash(files) != row.bundle_hash:
        return f"{label}: its list of files does not match its bundle hash {row.bundle_hash[:12]}…"
    stored = _contents(session, list(files.values()))
    for name, sha in files.items():
        problem = _file_problem(stored, sha)
        if problem:
            return f"{label}: file {name} ({sha[:12]}…) {problem}"
    return ""


def _file_list(files: Any) -> dict[str, str] | None:
    if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
        return None
    pairs = [(f.get("name"), f.get("sha256")) for f in files]
    if not all(isinstance(name, str) and isinstance(sha, str) for name, sha in pairs):
        return None
    return dict(pairs)


def _contents(session: Session, shas: list[str]) -> dict[str, Any]:
    """Content by sha256 as the driver returns it: bytes, or text where text was stored instead
    (read without the column's type, whose conversion to bytes would fail on text)."""
    raw = type_coerce(Artifact.content, NullType())
    rows = session.execute(select(Artifact.sha256, raw).where(Artifact.sha256.in_(shas))).all()
    return {sha: content for sha, content in rows}


def _file_problem(stored: dict[str, Any], sha: str) -> str:
    if sha not in stored:
        return "is missing"
    content = stored[sha]
    if isinstance(content, memoryview | bytearray):
        content = bytes(content)
    if content is None:
        return "has no content (NULL)"
    if not isinstance(content, bytes):
        kind = "text" if isinstance(content, str) else type(content).__name__
        return f"is stored as {kind}, not as the bytes of the file"
    if sha256_hex(content) != sha:
        return f"has stored bytes ({len(content)} bytes) that do not match its hash: changed or cut short"
    return ""
