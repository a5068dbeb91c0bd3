"""Administrators change procedures safely: every process with its versions, drafts checked on every
save, publication with a reason on the chain.

A draft holds the files an administrator changed (diagrams, decision tables, forms) on top of what
is published. Saving runs every check `deploy` makes (the same code), so a draft that would break
is known before anyone publishes it, with file, line and element. Publishing deploys the published
files overlaid with the draft's: each process whose closure changed gets a new version, which new
cases start on; running cases stay on theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...errors import DiagramInvalid, NotAllowed, NotFound, RuleViolation
from ...kernel import Kernel
from ...models import ProcessDefinition, ProcessDraft, ProcessInstance, ProcessVersion
from ...models.org import ROLE_ADMIN, ROLE_AUDITOR, ROLE_COMMITTEE, ROLE_OPERATOR
from ...process import catalog, version_diff
from ...process.bundle import file_kind, sha256_hex
from .. import chain

READERS = frozenset({ROLE_ADMIN, ROLE_COMMITTEE, ROLE_AUDITOR, ROLE_OPERATOR})
EDITORS = frozenset({ROLE_ADMIN, ROLE_OPERATOR})
MIN_REASON = 4


@dataclass(frozen=True)
class Problem:
    """One reason a draft cannot be published, where it is."""

    file: str
    line: int | None
    element: str | None
    message: str


@dataclass(frozen=True)
class VersionEntry:
    version: int
    bundle_hash: str
    deployed_by: str
    deployed_at: Any
    reason: str
    running: int
    ended: int
    current: bool


@dataclass(frozen=True)
class ProcessEntry:
    process_key: str
    name: str
    current_version: int
    versions: list[VersionEntry]
    open_drafts: list[int]


@dataclass
class DraftView:
    id: int
    process_key: str
    status: str
    files: dict[str, str]
    changed: list[str]
    problems: list[Problem] = field(default_factory=list)
    published_seq: int | None = None


def check_reader(actor: Actor) -> None:
    if not actor.roles & READERS:
        raise NotAllowed(f"{actor.username} may not read the procedures' versions")


def _check_editor(actor: Actor) -> None:
    if not actor.roles & EDITORS:
        raise NotAllowed(f"only an administrator changes procedures; {actor.username} may not")


def catalogue(kernel: Kernel, actor: Actor) -> list[ProcessEntry]:
    """Every process with its versions (newest first), which is current, and its cases per version."""
    check_reader(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        counts = _case_counts(session)
        currents = {
            d.process_key: d.current_version_id for d in session.execute(select(ProcessDefinition)).scalars()
        }
        drafts = _open_drafts(session)
        entries: dict[str, list[VersionEntry]] = {}
        names: dict[str, tuple[str, int]] = {}
        rows = session.execute(
            select(ProcessVersion).order_by(ProcessVersion.process_key, ProcessVersion.version.desc())
        )
        for row in rows.scalars():
            running, ended = counts.get(row.id, (0, 0))
            current = currents.get(row.process_key) == row.id
            entries.setdefault(row.process_key, []).append(
                VersionEntry(
                    row.version,
                    row.bundle_hash,
                    row.deployed_by,
                    row.deployed_at,
                    row.note,
                    running,
                    ended,
                    current,
                )
            )
            if current:
                names[row.process_key] = (row.name, row.version)
        return [
            ProcessEntry(
                key, names.get(key, ("", 0))[0], names.get(key, ("", 0))[1], versions, drafts.get(key, [])
            )
            for key, versions in entries.items()
        ]


def _case_counts(session: Session) -> dict[int, tuple[int, int]]:
    rows = session.execute(
        select(ProcessInstance.process_version_id, ProcessInstance.status, func.count()).group_by(
            ProcessInstance.process_version_id, ProcessInstance.status
        )
    ).all()
    counts: dict[int, tuple[int, int]] = {}
    for version_id, status, count in rows:
        running, ended = counts.get(version_id, (0, 0))
        counts[version_id] = (
            (running + count, ended) if status in ("running", "suspended") else (running, ended + count)
        )
    return counts


def _open_drafts(session: Session) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for draft_id, key in session.execute(
        select(ProcessDraft.id, ProcessDraft.process_key)
        .where(ProcessDraft.status == "open")
        .order_by(ProcessDraft.id)
    ):
        found.setdefault(key, []).append(draft_id)
    return found


def published_files(session: Session) -> dict[str, bytes]:
    """Every file the current versions use, by name (the newest where versions disagree)."""
    files: dict[str, bytes] = {}
    versions = session.execute(
        select(ProcessVersion)
        .join(ProcessDefinition, ProcessDefinition.current_version_id == ProcessVersion.id)
        .order_by(ProcessVersion.deployed_at, ProcessVersion.id)
    ).scalars()
    for row in versions:
        files.update(catalog.version_files(session, row))
    return files


def files_of(kernel: Kernel, actor: Actor, process_key: str, version: int | None = None) -> dict[str, str]:
    """The text of every file of a version (the current one when none is named)."""
    check_reader(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        row = _version_row(uow.session, process_key, version)
        return {name: raw.decode("utf-8") for name, raw in catalog.version_files(uow.session, row).items()}


def _version_row(session: Session, process_key: str, version: int | None) -> ProcessVersion:
    statement = select(ProcessVersion).where(ProcessVersion.process_key == process_key)
    if version is None:
        statement = statement.join(
            ProcessDefinition, ProcessDefinition.current_version_id == ProcessVersion.id
        )
    else:
        statement = statement.where(ProcessVersion.version == version)
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        which = f"version {version}" if version is not None else "a current version"
        raise NotFound(f"process {process_key!r} has no {which}", process_key=process_key, version=version)
    return row


def open_draft(kernel: Kernel, actor: Actor, process_key: str) -> DraftView:
    """The open draft of a process, started from what is published when there is none."""
    _check_editor(actor)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        row = (
            session.execute(
                select(ProcessDraft).where(
                    ProcessDraft.process_key == process_key, ProcessDraft.status == "open"
                )
            )
            .scalars()
            .first()
        )
        if row is None:
            base = catalog.version_files(session, _version_row(session, process_key, None))
            now = kernel.clock.now()
            row = ProcessDraft(
                process_key=process_key,
                files="{}",
                base=json.dumps({name: sha256_hex(raw) for name, raw in base.items()}),
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
        view = _view(session, row)
        uow.commit()
    return view


def save_draft(kernel: Kernel, actor: Actor, draft_id: int, files: dict[str, str]) -> DraftView:
    """Store the draft's changed files and check everything; the problems come back, not raised:
    a draft may be saved broken, it is only refused publication."""
    _check_editor(actor)
    for name, text in files.items():
        file_kind(name)  # refuses a name that is neither diagram, decision table nor form
        if not isinstance(text, str):
            raise RuleViolation(f"{name}: the content must be text", file=name)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        row = _open_row(session, draft_id)
        changed = json.loads(row.files)
        changed.update(files)
        row.files = json.dumps(changed, ensure_ascii=False, sort_keys=True)
        row.updated_at = kernel.clock.now()
        view = _view(session, row)
        uow.commit()
    return view


def draft(kernel: Kernel, actor: Actor, draft_id: int) -> DraftView:
    check_reader(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        row = uow.session.get(ProcessDraft, draft_id)
        if row is None:
            raise NotFound(f"no draft {draft_id}", draft_id=draft_id)
        return _view(uow.session, row)


def discard(kernel: Kernel, actor: Actor, draft_id: int) -> None:
    _check_editor(actor)
    with kernel.db.unit_of_work() as uow:
        _open_row(uow.session, draft_id).status = "discarded"
        uow.commit()


def draft_files(session: Session, row: ProcessDraft) -> dict[str, bytes]:
    """What publishing the draft would deploy: the published files with the draft's over them."""
    files = published_files(session)
    files.update({name: text.encode("utf-8") for name, text in json.loads(row.files).items()})
    return files


def publish(kernel: Kernel, actor: Actor, draft_id: int, reason: str) -> list[catalog.DeployedVersion]:
    """Deploy the draft with a reason on the chain; refused, storing nothing, while it has problems."""
    _check_editor(actor)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise RuleViolation(f"publishing needs a reason of at least {MIN_REASON} characters", field="reason")
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        row = _open_row(session, draft_id)
        deployed = catalog.deploy(
            session, draft_files(session, row), actor.username, kernel.clock.now(), reason
        )
        new = [{"process_key": d.process_key, "version": d.version} for d in deployed if d.new]
        if not new:
            raise RuleViolation("the draft changes nothing that is published", draft_id=draft_id)
        payload = {
            "reason": reason,
            "draft_id": draft_id,
            "versions": new,
            "files": sorted(json.loads(row.files)),
        }
        row.status = "published"
        row.published_seq = chain.record(session, kernel, actor, "deploy", payload, ROLE_ADMIN)
        uow.commit()
    return deployed


def _open_row(session: Session, draft_id: int) -> ProcessDraft:
    row = session.get(ProcessDraft, draft_id)
    if row is None:
        raise NotFound(f"no draft {draft_id}", draft_id=draft_id)
    if row.status != "open":
        raise RuleViolation(f"draft {draft_id} is {row.status}, not open", draft_id=draft_id)
    return row


def _view(session: Session, row: ProcessDraft) -> DraftView:
    changed = json.loads(row.files)
    files = {name: raw.decode("utf-8") for name, raw in draft_files(session, row).items()}
    problems: list[Problem] = []
    if row.status == "open":
        problems = check(files)
    return DraftView(row.id, row.process_key, row.status, files, sorted(changed), problems, row.published_seq)


def check(files: dict[str, str]) -> list[Problem]:
    """Everything deploy refuses, as a list: nothing is stored."""
    try:
        catalog.validate_files({name: text.encode("utf-8") for name, text in files.items()})
    except DiagramInvalid as exc:
        return [Problem(where.file, where.line, where.element, message) for where, message in exc.problems]
    return []


def diff(kernel: Kernel, actor: Actor, process_key: str, old: int, new: int) -> list[version_diff.FileDiff]:
    """What changed from version `old` to version `new` of a process, file by file."""
    check_reader(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        before = catalog.version_files(session, _version_row(session, process_key, old))
        after = catalog.version_files(session, _version_row(session, process_key, new))
    return version_diff.diff_files(before, after)


def diff_draft(kernel: Kernel, actor: Actor, draft_id: int) -> list[version_diff.FileDiff]:
    """What publishing a draft would change, compared with what is published."""
    check_reader(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        row = session.get(ProcessDraft, draft_id)
        if row is None:
            raise NotFound(f"no draft {draft_id}", draft_id=draft_id)
        published = published_files(session)
        return version_diff.diff_files(published, draft_files(session, row))
