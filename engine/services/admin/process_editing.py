"""What the procedure editor, the diff page and `xianfeng processes deploy` need beyond `processes`:
one call each, so that a page or a command makes one service call.

- `editor`: a draft with the files of its process (its closure as published, plus whatever the
  draft changed) and the names the properties panel offers (forms, processes, decisions).
- `compare` / `compare_draft`: both sides' files with the difference, so that the diff page draws
  the two diagrams and lists the changed properties from one read.
- `deploy_files`: files laid over what is published, checked, then deployed with a reason as a
  chained "deploy" event, or refused with every problem and nothing stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...errors import NotFound, RuleViolation
from ...kernel import Kernel
from ...models import ProcessDefinition, ProcessDraft
from ...models.org import ROLE_ADMIN
from ...process import catalog, version_diff
from .. import chain
from . import processes


@dataclass(frozen=True)
class EditorView:
    draft: processes.DraftView
    closure: list[str]  # the process's files: its diagrams first, then decision tables, then forms
    forms: list[str]  # every form a task may name
    processes: list[str]  # every process a call activity may call
    decisions: list[str]  # every decision-table file


@dataclass(frozen=True)
class Comparison:
    process_key: str
    old: int | None  # version number; None: what is published now (compared with a draft)
    new: int | None  # version number; None: the draft
    old_files: dict[str, str]
    new_files: dict[str, str]
    files: list[version_diff.FileDiff]


def _order(name: str) -> tuple[int, str]:
    return ({"bpmn": 0, "dmn": 1}.get(name.rsplit(".", 1)[-1], 2), name)


def _draft_row(session: Session, draft_id: int) -> ProcessDraft:
    row = session.get(ProcessDraft, draft_id)
    if row is None:
        raise NotFound(f"no draft {draft_id}", draft_id=draft_id)
    return row


def _published_closure(session: Session, process_key: str) -> dict[str, str]:
    row = processes._version_row(session, process_key, None)
    return {name: raw.decode("utf-8") for name, raw in catalog.version_files(session, row).items()}


def editor(kernel: Kernel, actor: Actor, draft_id: int) -> EditorView:
    """The draft as the editor opens it (any reader may look; only an administrator saves)."""
    processes.check_reader(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        row = _draft_row(session, draft_id)
        view = processes._view(session, row)
        names = set(_published_closure(session, row.process_key)) | set(view.changed)
        keys = sorted(session.execute(select(ProcessDefinition.process_key)).scalars())
    return EditorView(
        draft=view,
        closure=sorted((n for n in names if n in view.files), key=_order),
        forms=sorted(n for n in view.files if n.endswith(".json")),
        processes=keys,
        decisions=sorted(n for n in view.files if n.endswith(".dmn")),
    )


def compare(kernel: Kernel, actor: Actor, process_key: str, old: int, new: int) -> Comparison:
    """Versions `old` and `new` of a process: both sides' files and what changed."""
    processes.check_reader(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        before = catalog.version_files(session, processes._version_row(session, process_key, old))
        after = catalog.version_files(session, processes._version_row(session, process_key, new))
    return Comparison(
        process_key,
        old,
        new,
        {name: raw.decode("utf-8") for name, raw in before.items()},
        {name: raw.decode("utf-8") for name, raw in after.items()},
        version_diff.diff_files(before, after),
    )


def compare_draft(kernel: Kernel, actor: Actor, draft_id: int) -> Comparison:
    """A draft against what is published: the draft's process as published, then as the draft has it."""
    processes.check_reader(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        row = _draft_row(session, draft_id)
        published = processes.published_files(session)
        drafted = processes.draft_files(session, row)
        old_files = _published_closure(session, row.process_key)
    shown = set(old_files) | {f.file for f in version_diff.diff_files(published, drafted)}
    return Comparison(
        row.process_key,
        None,
        None,
        old_files,
        {name: drafted[name].decode("utf-8") for name in shown if name in drafted},
        version_diff.diff_files(published, drafted),
    )


def deploy_files(
    kernel: Kernel, actor: Actor, files: dict[str, bytes], reason: str
) -> list[catalog.DeployedVersion]:
    """Deploy `files` laid over what is published, with a reason on the chain; DiagramInvalid (every
    problem with file, line and element) or RuleViolation, storing nothing, when it may not."""
    processes._check_editor(actor)
    reason = (reason or "").strip()
    if len(reason) < processes.MIN_REASON:
        raise RuleViolation(
            f"deploying needs a reason of at least {processes.MIN_REASON} characters", field="reason"
        )
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        merged = processes.published_files(session)
        merged.update(files)
        deployed = catalog.deploy(session, merged, actor.username, kernel.clock.now(), reason)
        new = [{"process_key": d.process_key, "version": d.version} for d in deployed if d.new]
        if not new:
            raise RuleViolation("the files change nothing that is published", files=sorted(files))
        payload = {"reason": reason, "versions": new, "files": sorted(files)}
        chain.record(session, kernel, actor, "deploy", payload, ROLE_ADMIN)
        uow.commit()
    return deployed
