"""A case's history as people read it: each event with what was done (提交, 退回, 转办, 委派, 加签,
抄送, 催办, 撤回, 系统定时, 管理员干预 …), who did it by name and in which role, the opinion or reason
as they wrote it, and a form's answers as fields labelled with the titles of that step's form.

What of an event's answers the reader may see is decided by `disclosure` (a democratic
evaluation's scores are read only by the roles its diagram names and by whoever gave them).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition

from ..actor import Actor
from ..errors import NotFound
from ..kernel import Kernel
from ..models import Event, ProcessInstance, User
from ..process.catalog import LoadedVersion
from ..process.moments import element_names, step_names
from ..process.step_forms import forms_by_element, gateway_timers
from . import authz, options
from .disclosure import WITHHELD, disclosure_of

Words = dict[str, str]  # {"zh_CN": …, "en": …}

# An administrator's interventions (engine/services/admin/interventions.py, migration.py).
ADMIN_KINDS = frozenset({"cancel", "suspend", "resume", "reassign", "migrate"})
# What a verb's payload says in the person's own words.
WRITTEN = ("reason", "opinion", "note")
YES: Words = {"zh_CN": "是", "en": "Yes"}
NO: Words = {"zh_CN": "否", "en": "No"}


@dataclass(frozen=True)
class Answer:
    label: Words
    value: Words
    long: bool  # written words (a text area): read as a paragraph


@dataclass(frozen=True)
class HistoryEntry:
    number: int  # the event's place in the case (its instance version)
    at: dt.datetime
    kind: str  # the event's kind as logged
    operation: str  # what people call it: start, submit, return … admin_cancel, admin_complete, timer
    step: Words
    actor_name: str  # "" for the system and for villagers
    actor: str  # the account name as logged ("system", "public" …)
    role: str
    written: str = ""  # the reason, opinion or note as written
    targets: list[str] = field(default_factory=list)  # people it was handed or copied to, by name
    returned_to: Words = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)
    withheld: bool = False  # the answers are not the reader's to see
    to_version: int | None = None


def case_history(kernel: Kernel, actor: Actor, instance_id: int) -> list[HistoryEntry]:
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"no instance {instance_id}", instance_id=instance_id)
        authz.check_may_read(actor, instance)
        version = kernel.catalog.get(session, instance.process_version_id)
        events = list(
            session.execute(
                select(Event).where(Event.instance_id == instance_id).order_by(Event.instance_version)
            ).scalars()
        )
        disclosure = disclosure_of(version)
        payloads = []
        for event in events:
            payload = disclosure.payload(actor, event.spec_id, event.actor_user_id, json.loads(event.payload))
            payloads.append(payload if isinstance(payload, dict) else {})
        reader = _Reader(kernel, session, version, instance, events, payloads)
        return [reader.entry(event, payload) for event, payload in zip(events, payloads, strict=True)]


def operation(kind: str, payload: dict[str, Any]) -> str:
    if kind == "complete":
        return "admin_complete" if payload.get("on_behalf") else "submit"
    if kind == "tick":
        return "admin_retry" if payload.get("retry") else "timer"
    if kind in ADMIN_KINDS:
        return f"admin_{kind}"
    return kind


class _Reader:
    """Reads events of one case: the names of people, steps and forms, each looked up once."""

    def __init__(
        self,
        kernel: Kernel,
        session: Session,
        version: LoadedVersion,
        instance: ProcessInstance,
        events: list[Event],
        payloads: list[dict[str, Any]],
    ) -> None:
        self.kernel, self.version, self.instance = kernel, version, instance
        self.steps = element_names(version)
        self.start = step_names(version).get("start", "")
        self.timers = _timers_set(events)
        self.gateways = gateway_timers(version)
        self.forms = forms_by_element(version)
        self.sources: dict[str, dict[str, str]] = {}
        ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
        named = {str(n) for p in payloads for n in _named(p)}
        rows = session.execute(
            select(User.id, User.username, User.display_name).where(
                or_(User.id.in_(ids), User.username.in_(named))
            )
        ).all()
        self.names_by_id = {uid: shown or name for uid, name, shown in rows}
        self.names = {name: shown or name for _uid, name, shown in rows}

    def entry(self, event: Event, payload: dict[str, Any]) -> HistoryEntry:
        kind = event.kind
        element = event.spec_id or (self.start if kind == "start" else "")
        name, name_en = self.steps.get(element, (str(payload.get("task") or ""), ""))
        if kind == "tick" and not element:  # the timers it fired, from the rows it deleted
            fired = [
                self.steps.get(self.gateways.get(spec, spec), (spec, ""))
                for spec in _timers_fired(event, self.timers)
            ]
            name = "、".join(n for n, _en in fired)
            name_en = ", ".join(en or n for n, en in fired)
        data: dict[str, Any] = payload["data"] if isinstance(payload.get("data"), dict) else {}
        form = self._form(kind, element)
        return HistoryEntry(
            number=event.instance_version or 0,
            at=event.business_time,
            kind=kind,
            operation=operation(kind, payload),
            step={"zh_CN": name, "en": name_en or name} if name else {},
            actor_name=self.names_by_id.get(event.actor_user_id, "") if event.actor_user_id else "",
            actor=event.actor or "",
            role=event.role or "",
            written=next((str(payload[k]) for k in WRITTEN if payload.get(k)), ""),
            targets=self._targets(payload),
            returned_to=self._returned_to(kind, data),
            answers=self._answers(form, data) if kind in ("start", "complete", "message") else [],
            withheld=bool(payload.get(WITHHELD)),
            to_version=payload.get("to_version") if isinstance(payload.get("to_version"), int) else None,
        )

    def _form(self, kind: str, element: str) -> FormDefinition | None:
        name = self.version.start_form if kind == "start" else self.forms.get(element)
        return self.version.forms.get(name) if name else None

    def _targets(self, payload: dict[str, Any]) -> list[str]:
        return [self.names.get(str(n), str(n)) for n in _named(payload)]

    def _returned_to(self, kind: str, data: dict[str, Any]) -> Words:
        if kind != "return" or not data.get("target"):
            return {}
        name, name_en = self.steps.get(str(data["target"]), (str(data["target"]), ""))
        return {"zh_CN": name, "en": name_en or name}

    def _answers(self, form: FormDefinition | None, data: dict[str, Any]) -> list[Answer]:
        if form is None:
            text = data.get("text")  # a message: an objection's words
            return [Answer({"zh_CN": "内容", "en": "Text"}, _same(str(text)), True)] if text else []
        properties = form.schema.get("properties", {})
        order = [*form.ui.get("order", []), *(k for k in properties if k not in form.ui.get("order", []))]
        answers = []
        for key in order:
            prop = properties.get(key)
            if key not in data or data[key] in (None, "", []) or not isinstance(prop, dict):
                continue
            label = {
                "zh_CN": str(prop.get("title", key)),
                "en": str(prop.get("x-title-en", prop.get("title", key))),
            }
            answers.append(Answer(label, self._value(prop, data[key]), prop.get("x-widget") == "textarea"))
        return answers

    def _value(self, prop: dict[str, Any], value: Any) -> Words:
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        source = str(prop.get("x-source") or (items or {}).get("x-source") or "")
        labels = prop.get("x-enum-labels") or (items or {}).get("x-enum-labels") or {}
        if source == "attachments":
            count = len(value) if isinstance(value, list) else 1
            return {"zh_CN": f"{count} 个文件（见附件）", "en": f"{count} file(s) (see the attachments)"}
        parts = value if isinstance(value, list) else [value]
        words = [self._one(part, labels, source) for part in parts]
        return {
            lang: ("、" if lang == "zh_CN" else ", ").join(w[lang] for w in words) for lang in ("zh_CN", "en")
        }

    def _one(self, value: Any, labels: dict[str, Any], source: str) -> Words:
        if isinstance(value, bool):
            return YES if value else NO
        if isinstance(labels.get(str(value)), dict):
            word = labels[str(value)]
            return {"zh_CN": str(word.get("zh_CN", value)), "en": str(word.get("en", value))}
        if source:
            if source not in self.sources:
                chosen = options.choices(self.kernel, source, self.instance.branch_id)
                self.sources[source] = {str(key): text for key, text in chosen}
            return _same(self.sources[source].get(str(value), str(value)))
        if isinstance(value, dict | list):
            return _same(json.dumps(value, ensure_ascii=False))
        return _same(str(value))


def _changes(event: Event) -> list[dict[str, Any]]:
    try:
        found = json.loads(event.changes or "[]")
    except ValueError:
        return []
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def _timers_set(events: list[Event]) -> dict[str, str]:
    """Timer row id -> the timer element, from the rows the case's events inserted."""
    found: dict[str, str] = {}
    for event in events:
        for change in _changes(event):
            values = change.get("values")
            if change.get("table") == "timer" and change.get("op") == "insert" and isinstance(values, dict):
                found[str(change.get("key"))] = str(values.get("spec_id") or "")
    return found


def _timers_fired(event: Event, timers: dict[str, str]) -> list[str]:
    gone = [
        str(c.get("key")) for c in _changes(event) if c.get("table") == "timer" and c.get("op") == "delete"
    ]
    return list(dict.fromkeys(timers[key] for key in gone if timers.get(key)))


def _named(payload: dict[str, Any]) -> list[Any]:
    """The accounts a verb's payload hands the task or a copy to (`to`, `users`)."""
    named = list(payload["users"]) if isinstance(payload.get("users"), list) else []
    return [payload["to"], *named] if payload.get("to") else named


def _same(text: str) -> Words:
    return {"zh_CN": text, "en": text}
