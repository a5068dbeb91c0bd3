"""One case as printed evidence shows it: its facts and its approval trail, read from the event log.

Everything a person reads is taken from the case's pinned version: the procedure's name, each
step's name (the diagram element), each answer's label and option wording (the task's form), and
the outcome's wording (the name of the end event it finished on). Ids from the organisation are
printed as names. Only events up to the document's chain head are read, so the trail is exactly
what the sealed head covers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition

from ...actor import Actor
from ...clock import CHINA_TZ
from ...kernel import Kernel
from ...models import Event, ProcessInstance
from ...process.catalog import LoadedVersion
from ...process.task_properties import FORM_PROPERTY, properties_of
from ..disclosure import Disclosure, disclosure_of
from . import words
from .dossier_model import Answer, Case, Step
from .dossier_names import Names

# A per-subject instance's business key ends in its subject's key, "<kind>:<id>" (services.subjects).
_SUBJECT_KEY = re.compile(r"(?:^|:)([a-z_]+):(\d+)$")
_SUBJECT_SOURCES = {"branch_members": "member", "branch_posts": "post"}
_CITED_FILE = re.compile(r'"([0-9a-f]{64})"')


def subject_of_key(business_key: str) -> tuple[str, int] | None:
    found = _SUBJECT_KEY.search(business_key or "")
    return (found.group(1), int(found.group(2))) if found else None


def procedure_name(version: LoadedVersion) -> str:
    """The diagram's Chinese name: diagrams are named "中文 English"."""
    chinese, _sep, english = (version.name or version.process_key).partition(" ")
    return chinese if english[:1].isascii() else version.name


def elements(version: LoadedVersion) -> dict[str, tuple[str, str | None]]:
    """Element id -> (its name, its form) over the version's diagrams; the main diagram's names win."""
    found: dict[str, tuple[str, str | None]] = {}
    for spec in [*version.subprocess_specs.values(), version.spec]:
        for task_spec in spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if bpmn_id:
                name = getattr(task_spec, "bpmn_name", None) or bpmn_id
                found[bpmn_id] = (name, properties_of(task_spec).get(FORM_PROPERTY))
    return found


def subject_ids(version: LoadedVersion, start_data: dict[str, Any]) -> dict[str, set[int]]:
    """The members and posts a case is about: the start form's single-valued fields backed by the
    organisation (`x-source`), e.g. the nominee. Lists (the evaluators) take part, they are not
    the subject."""
    found: dict[str, set[int]] = {"member": set(), "post": set()}
    if not version.start_form or version.start_form not in version.forms:
        return found
    for field, source in version.form(version.start_form).source_fields().items():
        kind = _SUBJECT_SOURCES.get(source)
        value = start_data.get(field)
        if kind and not field.endswith("/*") and isinstance(value, int):
            found[kind].add(value)
    return found


class CaseReader:
    """Builds `Case`s of one document: one set of names, versions parsed once."""

    def __init__(self, session: Session, kernel: Kernel, names: Names, head_seq: int, reader: Actor) -> None:
        self.session, self.kernel, self.names, self.head_seq = session, kernel, names, head_seq
        self.reader = reader  # whose document it is: personal answers are printed for their readers only

    def version(self, instance: ProcessInstance) -> LoadedVersion:
        return self.kernel.catalog.get(self.session, instance.process_version_id)

    def events(self, instance_id: int) -> list[Event]:
        return list(
            self.session.execute(
                select(Event)
                .where(Event.instance_id == instance_id, Event.seq <= self.head_seq)
                .order_by(Event.instance_version)
            ).scalars()
        )

    def case(self, instance: ProcessInstance) -> Case:
        version = self.version(instance)
        events = self.events(instance.id)
        start = _payload(events[0]).get("data", {}) if events and events[0].kind == "start" else {}
        names = elements(version)
        self.names.file_names(self.session, set(_hashes(e.payload for e in events)))
        concerning = self._concerning(instance, version, start if isinstance(start, dict) else {})
        return Case(
            id=instance.id,
            title=instance.title,
            process_key=instance.process_key,
            procedure=procedure_name(version),
            version=version.version,
            bundle_hash=version.bundle_hash,
            status=instance.status,
            status_text=words.word(words.STATUSES, instance.status),
            outcome=instance.outcome,
            outcome_text=names.get(instance.end_event, ("", None))[0] if instance.end_event else "",
            branch=self.names.branches.get(instance.branch_id or 0, ""),
            village=self.names.villages.get(instance.village_id or 0, ""),
            concerning=concerning,
            started_at=_china(instance.started_at),
            ended_at=_china(instance.ended_at) if instance.ended_at else None,
            started_by=self.names.person(events[0].actor_user_id, events[0].actor) if events else "",
            head_hash=instance.head_hash,
            steps=self._steps(version, names, events, concerning, disclosure_of(version)),
        )

    def _concerning(
        self, instance: ProcessInstance, version: LoadedVersion, start: dict[str, Any]
    ) -> list[str]:
        ids = subject_ids(version, start)
        keyed = subject_of_key(instance.business_key)
        if keyed and keyed[0] in ("post", "area"):
            ids.setdefault(keyed[0], set()).add(keyed[1])
        tables = {"member": self.names.members, "post": self.names.posts, "area": self.names.areas}
        return [
            tables[kind].get(i, str(i))
            for kind in ("member", "post", "area")
            for i in sorted(ids.get(kind, ()))
        ]

    def _steps(
        self,
        version: LoadedVersion,
        names: dict[str, tuple[str, str | None]],
        events: list[Event],
        concerning: list[str],
        disclosure: Disclosure,
    ) -> list[Step]:
        steps: list[Step] = []
        public: dict[str, Step] = {}
        for event in events:
            if event.kind == "survey":
                continue  # anonymous answers: the survey's tally shows them
            step_name, form_name = names.get(event.spec_id, ("", None))
            if event.kind == "start":
                form_name = version.start_form
            if event.actor == "public" and event.kind == "complete":
                folded = public.get(step_name)
                if folded is not None:
                    folded.count += 1
                    continue
            step = Step(
                seq=event.seq,
                at=_china(event.business_time),
                kind=event.kind,
                operation=words.word(words.EVENT_KINDS, event.kind),
                step=step_name,
                actor=self.names.person(event.actor_user_id, event.actor),
                role=event.role,
                role_text=words.word(words.ROLES, event.role),
            )
            if event.actor == "public" and event.kind == "complete":
                public[step_name] = step  # villagers' answers: counted, not printed one by one
            elif event.kind == "start" and not form_name and concerning:
                step.answers = [Answer("对象", "、".join(concerning))]  # started for a subject (startFor)
            elif not disclosure.may_read(self.reader, event.spec_id, event.actor_user_id):
                step.answers = [Answer("内容", _withheld(disclosure.readers[event.spec_id]))]
            else:
                step.answers = self._answers(version, names, event, form_name)
            steps.append(step)
        return steps

    def _answers(
        self,
        version: LoadedVersion,
        names: dict[str, tuple[str, str | None]],
        event: Event,
        form_name: str | None,
    ) -> list[Answer]:
        payload = _payload(event)
        raw = payload.get("data")
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if event.kind in ("start", "complete"):
            form = version.forms.get(form_name) if form_name else None
            return self.labelled(form, data)
        answers = []
        if event.kind == "return" and data.get("target"):
            answers.append(Answer("退回至", names.get(data["target"], (data["target"], None))[0]))
        extra = data if event.kind == "message" else {}
        for key, label in (*words.PAYLOAD_LABELS, ("receipt_no", "回执号")):
            value = payload.get(key, extra.get(key))
            if value not in (None, "", []):
                answers.append(Answer(label, self._plain(key, value)))
        return answers

    def _plain(self, key: str, value: Any) -> str:
        if key in ("to", "users"):
            people = value if isinstance(value, list) else [value]
            return "、".join(self.names.person(None, str(p)) for p in people)
        return str(value)

    def labelled(self, form: FormDefinition | None, data: dict[str, Any]) -> list[Answer]:
        """Each submitted field under its label in the form, in the form's order, as written."""
        properties = form.schema.get("properties", {}) if form else {}
        order = form.field_names() if form else []
        keys = [k for k in order if k in data] + [k for k in data if k not in order]
        answers = []
        for key in keys:
            value = data[key]
            if value in (None, "", []):
                continue
            prop = properties.get(key, {})
            label = str(prop.get("title") or key)
            answers.append(Answer(label, self.value_text(prop, value)))
        return answers

    def value_text(self, prop: dict[str, Any], value: Any) -> str:
        if isinstance(value, list):
            raw = prop.get("items")
            items: dict[str, Any] = raw if isinstance(raw, dict) else {}
            return "、".join(self.value_text(items, v) for v in value)
        source = prop.get("x-source")
        named = self.names.source_value(str(source), value) if source else None
        if named is not None:
            return named
        labels = prop.get("x-enum-labels")
        if isinstance(labels, dict) and isinstance(labels.get(str(value)), dict):
            return str(labels[str(value)].get("zh_CN", value))
        if isinstance(value, bool):
            return words.yes_no(value)
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return str(value)


def _withheld(roles: frozenset[str]) -> str:
    return f"个人测评内容，仅{'、'.join(words.word(words.ROLES, r) for r in sorted(roles))}可见"


def _payload(event: Event) -> dict[str, Any]:
    try:
        value = json.loads(event.payload)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _hashes(payloads: Iterable[str]) -> Iterable[str]:
    """Strings that look like a file's sha256 in the payloads (their names are looked up)."""
    for raw in payloads:
        yield from _CITED_FILE.findall(raw or "")


def _china(value: Any) -> Any:
    return value.astimezone(CHINA_TZ) if value is not None else None
