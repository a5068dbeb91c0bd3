"""Which files a case cites, who may cite a file, and removing files nobody cited.

A file is stored by content and named by its sha256, so knowing a hash must not be enough to get
a file: writing another branch's hash into a text field of one's own case used to expose that
file, because reading looked for the hash anywhere in the case's log. Now:

- a case *cites* a file only through a **file field** (`x-widget: file`) of the start form or of a
  task's form, as submitted and recorded in the case's chained events;
- a file may be put in a file field only by someone who **uploaded** those bytes (the stored
  uploader, or an earlier upload event of theirs: the same bytes uploaded twice are one row), or in
  a case (or an area's work records) that **already cites** it;
- reading a file needs a readable case that cites it in a file field whose answers the reader may
  see (or being its uploader): a file cited only among answers withheld from them (a paper
  ballot's photo, `answersReadBy`) is as closed to them as the ballot itself;
- a file still uncited a day after its upload is **removed** by the ticker, in a chained event:
  an upload followed by a refused form does not leave its files behind.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition
from xianfeng.forms.files import SHA256_PATTERN, is_file_field

from ..actor import Actor
from ..errors import RuleViolation
from ..journal import capture
from ..kernel import Kernel
from ..models import AreaWorkRecord, Attachment, Event, ProcessInstance
from ..process.catalog import LoadedVersion
from ..process.task_properties import FORM_PROPERTY, properties_of
from . import chain
from .disclosure import disclosure_of

UNCITED_LIFETIME = dt.timedelta(days=1)
_REMOVED_PER_ROUND = 200
_SHA256 = re.compile(SHA256_PATTERN)
_CITING_KINDS = ("start", "complete")


def file_values(form: FormDefinition, data: Any) -> set[str]:
    """The hashes held by the form's file fields in `data` (nothing from its other fields)."""
    if not isinstance(data, dict):
        return set()
    found: set[str] = set()
    for field, prop in form.schema.get("properties", {}).items():
        if isinstance(prop, dict) and is_file_field(prop):
            value = data.get(field)
            values = value if isinstance(value, list) else [value]
            found.update(v for v in values if isinstance(v, str) and _SHA256.fullmatch(v))
    return found


def _forms_of(version: LoadedVersion, kind: str, spec_id: str) -> Iterator[FormDefinition]:
    """The form an event's data was submitted on: the start form, or the form of the task element
    (an element id may recur in called processes: each of their forms counts)."""
    if kind == "start":
        if version.start_form:
            yield version.form(version.start_form)
        return
    for spec in (version.spec, *version.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) == spec_id:
                name = properties_of(task_spec).get(FORM_PROPERTY)
                if name and name in version.forms:
                    yield version.forms[name]


def cited_in_case(
    session: Session,
    kernel: Kernel,
    instance: ProcessInstance,
    hashes: Iterable[str] | None = None,
    reader: Actor | None = None,
) -> set[str]:
    """Which of `hashes` (every file, when None) a file field of the case holds, from its log; with
    a `reader`, only the fields whose answers they may read (`services.disclosure`)."""
    wanted = None if hashes is None else {h for h in hashes if _SHA256.fullmatch(h)}
    if wanted is not None and not wanted:
        return set()
    query = select(Event.kind, Event.spec_id, Event.actor_user_id, Event.payload).where(
        Event.instance_id == instance.id, Event.kind.in_(_CITING_KINDS)
    )
    if wanted is not None:
        query = query.where(or_(*(Event.payload.contains(f'"{h}"', autoescape=True) for h in wanted)))
    version = kernel.catalog.get(session, instance.process_version_id)
    disclosure = disclosure_of(version)
    cited: set[str] = set()
    for kind, spec_id, given_by, payload in session.execute(query):
        if reader is not None and not disclosure.may_read(reader, spec_id, given_by):
            continue
        data = json.loads(payload).get("data")
        for form in _forms_of(version, kind, spec_id):
            cited |= file_values(form, data)
    return cited if wanted is None else cited & wanted


def cited_by_area(session: Session, area_id: int, hashes: set[str]) -> set[str]:
    """Which of `hashes` a work record of the area holds among its files."""
    rows = session.execute(
        select(AreaWorkRecord.attachments).where(AreaWorkRecord.area_id == area_id)
    ).scalars()
    return {sha for raw in rows for sha in json.loads(raw or "[]") if sha in hashes}


def may_cite(
    session: Session, actor: Actor, hashes: set[str], cited_here: Callable[[set[str]], set[str]]
) -> set[str]:
    """Of the stored files among `hashes`, those the actor may put in a file field: their own
    uploads, and files the case (or area) at hand already cites (`cited_here`)."""
    if not hashes:
        return set()
    found = select(Attachment.sha256, Attachment.uploaded_by).where(Attachment.sha256.in_(hashes))
    uploaders = {sha: by for sha, by in session.execute(found)}
    allowed = {sha for sha, by in uploaders.items() if actor.user_id is not None and by == actor.user_id}
    rest = set(uploaders) - allowed
    if rest:
        allowed |= cited_here(rest)
        rest -= allowed
    if rest and actor.user_id is not None:
        allowed |= _uploaded_before(session, actor.user_id, rest)
    return allowed


def _uploaded_before(session: Session, user_id: int, hashes: set[str]) -> set[str]:
    """Files whose bytes this user uploaded too, after someone else had (one row, two uploads)."""
    payloads = session.execute(
        select(Event.payload).where(
            Event.kind == "upload",
            Event.actor_user_id == user_id,
            or_(*(Event.payload.contains(f'"{h}"', autoescape=True) for h in hashes)),
        )
    ).scalars()
    return {h for payload in payloads for h in hashes if f'"{h}"' in payload}


def mark_cited(session: Session, hashes: set[str], at: dt.datetime) -> None:
    """Note, in the citing step's own event, that these files are cited (so they are kept); refuse
    the step if one was removed since the form was checked (it had stayed uncited for a day)."""
    if not hashes:
        return
    capture.update_where(
        session, Attachment, (Attachment.sha256.in_(hashes), Attachment.cited_at.is_(None)), {"cited_at": at}
    )
    stored = set(session.execute(select(Attachment.sha256).where(Attachment.sha256.in_(hashes))).scalars())
    if hashes - stored:
        raise RuleViolation(
            "a file of the form was removed meanwhile (uploaded more than a day ago and not cited): "
            "upload it again",
            files=sorted(hashes - stored),
        )


def remove_uncited(kernel: Kernel, now: dt.datetime) -> list[str]:
    """Remove the files no case or record cited within a day of their upload, in one chained event
    by the system; the hashes removed. Reads first: a round with nothing to remove writes nothing."""
    expired = (Attachment.cited_at.is_(None), Attachment.uploaded_at <= now - UNCITED_LIFETIME)
    with kernel.db.unit_of_work(write=False) as uow:
        if uow.session.execute(select(Attachment.sha256).where(*expired).limit(1)).first() is None:
            return []
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        rows = session.execute(
            select(Attachment.sha256, Attachment.name, Attachment.size)
            .where(*expired)
            .order_by(Attachment.uploaded_at)
            .limit(_REMOVED_PER_ROUND)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        capture.delete_keys(session, Attachment, [sha for sha, _name, _size in rows])
        files = [{"sha256": sha, "name": name, "size": size} for sha, name, size in rows]
        reason = f"not cited within {UNCITED_LIFETIME.days} day of upload"
        chain.record(session, kernel, None, "attachments_removed", {"files": files, "reason": reason})
        uow.commit()
    return [sha for sha, _name, _size in rows]
