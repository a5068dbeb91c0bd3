"""Turn what the services return into rows a person reads: the data so far and the history.

Only presentation lives here: which keys are worth a row and how to word them. Nothing decides
what happens next in a procedure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask_babel import gettext as _

from xianfeng.engine.process.case_fields import CaseField
from xianfeng.engine.services.attachments import AttachmentInfo, is_sha256
from xianfeng.engine.services.disclosure import WITHHELD

from . import labels
from .layout import deadline

# What a completion's data says that the history should repeat: decisions first, then the words.
HISTORY_DECISIONS = ("decision", "willing", "include", "upheld")
HISTORY_WORDS = ("opinion", "return_reasons", "pledge", "decline_reason", "note", "finding", "answer")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _person(value: dict[str, Any]) -> str:
    """A person (or post) the data names, with where they belong: 张三（治安村党支部 · 治安村）."""
    where = " · ".join(str(value[k]) for k in ("branch", "village") if value.get(k))
    return f"{value.get('name', '')}{labels.paren(where)}" if where else str(value.get("name", ""))


def _shown(value: Any, options: dict[str, dict[str, str]]) -> str:
    if isinstance(value, list):
        return labels.joined([_shown(item, options) for item in value], enumeration=True)
    if isinstance(value, bool):
        return labels.yes_no(value)
    if str(value) in options:
        return options[str(value)].get(labels.lang(), str(value))
    if isinstance(value, dict):
        return _person(value) if "name" in value else json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and _INSTANT.match(value):
        return deadline(value)
    return str(value)


def data_rows(fields: list[CaseField], data: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """The case's data a person reads, as label/value rows: the fields its procedure's diagram
    lists (`caseFields`), named by the diagram and the forms; the rest stays in the raw view.

    A text the diagram computes in both languages keeps its English beside it as `<name>_en` (a
    decision table's note): English readers read that one."""
    lang = labels.lang()
    rows = []
    for field in fields:
        value: Any = field.value
        english = (data or {}).get(f"{field.path}_en") if lang == "en" and "." not in field.path else None
        if isinstance(english, str) and english:
            value = english
        rows.append((field.label.get(lang) or field.path, _shown(value, field.options)))
    return rows


def raw_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _completion_detail(data: dict[str, Any]) -> list[str]:
    parts = [
        labels.pair(labels.field_label(key) or key, labels.value_text(key, data[key]))
        for key in HISTORY_DECISIONS
        if key in data
    ]
    return parts + [str(data[key]) for key in HISTORY_WORDS if data.get(key)]


def _detail(event: dict[str, Any]) -> str:
    """The opinion, reason or note an event carries; evaluation scores are deliberately left out."""
    payload = event.get("payload") or {}
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    parts: list[str] = []
    if payload.get(WITHHELD):
        parts.append(_("个人测评内容不向您显示，可查看汇总结果"))
    if event.get("kind") == "complete":
        parts += _completion_detail(data)
    if event.get("kind") == "message" and data.get("text"):
        parts.append(_("异议：%(text)s", text=data["text"]))
    if payload.get("to"):
        parts.append(_("交给 %(user)s", user=payload["to"]))
    if payload.get("users"):
        parts.append(labels.joined(list(payload["users"]), enumeration=True))
    if event.get("kind") == "return" and data.get("target"):
        parts.append(_("退回至 %(step)s", step=data["target"]))
    parts += [str(payload[key]) for key in ("reason", "opinion", "note") if payload.get(key)]
    return labels.joined(parts)


def _who(event: dict[str, Any]) -> tuple[str, str]:
    """The actor and their role; villagers and the timer have no account name to show."""
    if event.get("actor") in (None, "", "system"):
        return _("系统"), ""
    if event.get("actor") == "public":
        return labels.role("public"), ""
    return str(event.get("actor_name") or event["actor"]), labels.role(event.get("role"))


def history_rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        actor, role = _who(event)
        rows.append(
            {
                "at": event["business_time"],
                "actor": actor,
                "role": role,
                "kind": labels.event_words(event),
                "step": (event.get("payload") or {}).get("task") or event.get("element") or "",
                "detail": _detail(event),
            }
        )
    return rows


def hashes_in(value: Any) -> Iterator[str]:
    """Every string in the data that looks like a file's sha256 (those that are files get shown)."""
    if isinstance(value, str):
        if is_sha256(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from hashes_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from hashes_in(item)


def files_in(
    data: Any, files: Mapping[str, AttachmentInfo], link: Callable[[str], str]
) -> list[tuple[AttachmentInfo, str]]:
    """The files the data cites, once each in the order cited, with the address to open each."""
    cited = dict.fromkeys(h for h in hashes_in(data) if h in files)
    return [(files[h], link(h)) for h in cited]
