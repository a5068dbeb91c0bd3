"""Attachments (佐证材料): files uploaded for a task's file field, and reading them back.

Uploading is its own unit of work, before the task is completed: the page stores the files, then
completes the task with their sha256 in the form data. A refused completion therefore keeps the
files (content-addressed, stored once), so the re-rendered form still lists them and nothing has
to be uploaded twice; a file that no form cites within a day is removed (`citations`). Who may
read a file follows the case: whoever may read an instance that cites the file in a file field,
and may read that field's answers (a paper ballot's photo is withheld as the ballot is), and its
uploader. Who may cite one: its uploader, or a case that cites it already (`citations`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from xianfeng.forms import FormDefinition
from xianfeng.forms.files import (
    ATTACHMENT_SOURCE,
    KINDS,
    SHA256_PATTERN,
    accepted,
    extension_of,
    is_file_field,
    kind_of,
)

from ..actor import Actor
from ..errors import FormInvalid, NotAllowed, NotFound
from ..kernel import Kernel
from ..models import Attachment, HumanTask, ProcessInstance
from . import authz, chain, citations

_NO_CONTENT = defer(Attachment.content)  # the bytes are not read to describe a file
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")
_SHA256 = re.compile(SHA256_PATTERN)


@dataclass(frozen=True)
class Upload:
    """One file as the browser or an API client sent it."""

    name: str
    content: bytes


@dataclass(frozen=True)
class AttachmentInfo:
    sha256: str
    name: str
    media_type: str
    size: int
    shown_inline: bool = False


def _info(row: Attachment) -> AttachmentInfo:
    return AttachmentInfo(row.sha256, row.name, row.media_type, row.size, _inline(row.name))


def _inline(name: str) -> bool:
    """Photos open in the browser; documents download (served as attachments)."""
    kind = KINDS.get(extension_of(name))
    return bool(kind and kind.shown_inline)


def clean_name(name: str) -> str:
    """The file's own name without any folder part or control characters, at most 255 characters."""
    base = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return (base or "file")[-255:]


def size_text(size: int) -> str:
    """A size as people read it: 10 MB, 512 KB, 100 B."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} B"


def _problem(upload: Upload, prop: dict[str, Any], limit: int) -> tuple[str, str] | None:
    """Why an upload cannot go into this field, in English and Chinese; None when it can."""
    name, size = clean_name(upload.name), len(upload.content)
    allowed = accepted(prop)
    if extension_of(name) not in allowed:
        shown = "、".join(allowed)
        return (f"{name}: only {', '.join(allowed)} files are accepted", f"{name}：只能上传 {shown} 文件")
    if size == 0:
        return f"{name} is empty", f"{name} 是空文件"
    if size > limit:
        return (f"{name} is larger than {size_text(limit)}", f"{name} 超过 {size_text(limit)} 的大小上限")
    if kind_of(name, upload.content) is None:
        return (
            f"{name} is not a real {extension_of(name)} file",
            f"{name} 的内容与其扩展名 {extension_of(name)} 不符",
        )
    return None


def _fields_of(form: FormDefinition, uploads: Mapping[str, Sequence[Upload]]) -> dict[str, dict[str, Any]]:
    properties = form.schema.get("properties", {})
    fields = {}
    for field in uploads:
        prop = properties.get(field)
        if not isinstance(prop, dict) or not is_file_field(prop):
            raise FormInvalid(
                form.name,
                {field: f"{field} is not a file field of {form.name}"},
                {field: f"{field} 不是表单 {form.name} 的附件栏"},
            )
        fields[field] = prop
    return fields


def _check_uploads(
    form: FormDefinition, uploads: Mapping[str, Sequence[Upload]], limit: int
) -> dict[str, dict[str, Any]]:
    fields = _fields_of(form, uploads)
    english: dict[str, str] = {}
    chinese: dict[str, str] = {}
    for field, files in uploads.items():
        problems = [p for p in (_problem(u, fields[field], limit) for u in files) if p is not None]
        most = fields[field].get("maxItems", 1) if fields[field].get("type") == "array" else 1
        if len(files) > most:
            problems.append(
                (f"at most {most} files, not {len(files)}", f"最多 {most} 个文件，收到 {len(files)} 个")
            )
        if problems:
            label = (form.label(field, "en"), form.label(field, "zh_CN"))
            english[field] = f"{label[1]} ({label[0]}): " + "; ".join(p[0] for p in problems)
            chinese[field] = f"{label[1]}：" + "；".join(p[1] for p in problems)
    if english:
        raise FormInvalid(form.name, english, chinese)
    return fields


def _stored(session: Session, actor: Actor, upload: Upload, now: Any) -> Attachment:
    content = upload.content
    sha = hashlib.sha256(content).hexdigest()
    row = session.get(Attachment, sha)
    if row is not None:
        if row.cited_at is None:  # not cited yet: the day to cite it starts again
            row.uploaded_at = now
        return row
    name = clean_name(upload.name)
    kind = kind_of(name, content)
    assert kind is not None  # checked before
    row = Attachment(
        sha256=sha,
        name=name,
        media_type=kind.media_type,
        size=len(content),
        uploaded_by=actor.user_id,
        uploaded_at=now,
        content=content,
    )
    session.add(row)
    return row


def upload_for_task(
    kernel: Kernel, actor: Actor, task_id: str, uploads: Mapping[str, Sequence[Upload]]
) -> dict[str, list[AttachmentInfo]]:
    """Store files for the file fields of a task the actor may act on; by field, what was stored.

    Every file is checked (kind from its first bytes, extension the field accepts, size limit)
    before any is stored: a refused upload (FormInvalid, per field, in both languages) stores none.
    """

    def task_form(session: Session) -> FormDefinition:
        task, instance = _task(session, task_id)
        authz.check_may_act(actor, task, instance)
        return kernel.catalog.get(session, instance.process_version_id).form(task.form)

    return upload(kernel, actor, uploads, task_form)


def upload(
    kernel: Kernel,
    actor: Actor,
    uploads: Mapping[str, Sequence[Upload]],
    form_for: Callable[[Session], FormDefinition],
) -> dict[str, list[AttachmentInfo]]:
    """Check and store uploads for a form's file fields in one unit of work; `form_for` decides,
    in that transaction, that the actor may fill in the form, and returns it. Run once more if the
    same new file was stored at the same moment by someone else."""
    uploads = {field: list(files) for field, files in uploads.items() if files}
    if not uploads:
        return {}
    if actor.user_id is None:
        raise NotAllowed("files are uploaded by signed-in users only")

    def once() -> dict[str, list[AttachmentInfo]]:
        with kernel.db.unit_of_work() as uow:
            session = uow.session
            form = form_for(session)
            _check_uploads(form, uploads, kernel.settings.max_attachment_bytes)
            now = kernel.clock.now()
            stored = {
                field: [_info(_stored(session, actor, file, now)) for file in files]
                for field, files in uploads.items()
            }
            files = [{"sha256": i.sha256, "name": i.name, "size": i.size} for f in stored.values() for i in f]
            # Always recorded, even for bytes stored before: the event shows this person had them.
            chain.record(session, kernel, actor, "upload", {"files": files})
            uow.commit()
        return stored

    try:
        return once()
    except IntegrityError:
        return once()


def _task(session: Session, task_id: str) -> tuple[HumanTask, ProcessInstance]:
    task = session.get(HumanTask, task_id)
    instance = session.get(ProcessInstance, task.instance_id) if task is not None else None
    if task is None or instance is None:
        raise NotFound(f"no ready task {task_id}", task_id=task_id)
    return task, instance


def is_sha256(value: Any) -> bool:
    """Whether a value has the form of a file's hash (whether such a file exists is another matter)."""
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def describe(
    kernel: Kernel, hashes: Iterable[str], uploaded_by: int | None = None
) -> dict[str, AttachmentInfo]:
    """Name, kind and size of the files a form's data cites, by sha256 (unknown ones are left out);
    with `uploaded_by`, only that person's uploads (a form they are filling in, not yet stored).

    Only metadata: the pages that call this have already been allowed to show the data citing them.
    """
    wanted = sorted({h for h in hashes if is_sha256(h)})
    if not wanted:
        return {}
    query = select(Attachment).where(Attachment.sha256.in_(wanted))
    if uploaded_by is not None:
        query = query.where(Attachment.uploaded_by == uploaded_by)
    with kernel.db.unit_of_work(write=False) as uow:
        return {row.sha256: _info(row) for row in uow.session.execute(query.options(_NO_CONTENT)).scalars()}


def describe_readable(
    kernel: Kernel, actor: Actor, instance_id: int, hashes: Iterable[str]
) -> dict[str, AttachmentInfo]:
    """Like `describe`, for a case's page: only the files the actor may open there (their own
    uploads, or files a file field of the case cites among answers they may read), so that a hash
    written into a text field or posted in a refused form does not show another's file name."""
    wanted = {h for h in hashes if is_sha256(h)}
    if not wanted:
        return {}
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = session.get(ProcessInstance, instance_id)
        cited = citations.cited_in_case(session, kernel, instance, wanted, actor) if instance else set()
        rows = session.execute(select(Attachment).where(Attachment.sha256.in_(wanted)).options(_NO_CONTENT))
        mine = actor.user_id
        return {r.sha256: _info(r) for r in rows.scalars() if r.sha256 in cited or r.uploaded_by == mine}


def fetch(kernel: Kernel, actor: Actor, instance_id: int, sha256: str) -> tuple[AttachmentInfo, bytes]:
    """A file and its bytes, for one who may read the instance that cites it in a file field (and
    that field's answers: a withheld ballot's photo stays withheld), or its uploader."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"no instance {instance_id}", instance_id=instance_id)
        authz.check_may_read(actor, instance)
        return read(
            session,
            actor,
            sha256,
            lambda: bool(citations.cited_in_case(session, kernel, instance, [sha256], actor)),
        )


def read(
    session: Session, actor: Actor, sha256: str, cited: Callable[[], bool]
) -> tuple[AttachmentInfo, bytes]:
    """The file, once the caller has allowed the actor to read what cites it: `cited()` says whether
    it does; a file not cited there is its uploader's alone (until cited), and unknown to others."""
    row = session.get(Attachment, sha256) if is_sha256(sha256) else None
    if row is None or (row.uploaded_by != actor.user_id and not cited()):
        raise NotFound(f"no attachment {sha256} here", sha256=sha256)
    return _info(row), bytes(row.content)


def existing(session: Session, hashes: Iterable[Any]) -> set[str]:
    """Which of these hashes are stored files (the `attachments` source of form validation)."""
    wanted = {h for h in hashes if is_sha256(h)}
    if not wanted:
        return set()
    return set(session.execute(select(Attachment.sha256).where(Attachment.sha256.in_(wanted))).scalars())


__all__ = [
    "ATTACHMENT_SOURCE",
    "AttachmentInfo",
    "Upload",
    "clean_name",
    "describe",
    "describe_readable",
    "existing",
    "fetch",
    "is_sha256",
    "read",
    "upload",
    "upload_for_task",
]
