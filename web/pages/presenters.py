"""Turn what the services return into rows a person reads: the data so far and the history.

Only presentation lives here: which keys are worth a row and how to word them. Nothing decides
what happens next in a procedure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask_babel import gettext as _

from xianfeng.engine.services.attachments import AttachmentInfo, is_sha256

from . import labels
from .layout import deadline

# Form fields worth a row in "the data so far", in reading order; labels come from the form files.
FORM_KEYS = (
    "post_title",
    "category",
    "service_domains",
    "discussion_date",
    "discussion_summary",
    "public_evaluator_count",
    "willing",
    "pledge",
    "decline_reason",
    "include",
    "responsibilities",
    "note",
)
# What a completion's data says that the history should repeat: decisions first, then the words.
HISTORY_DECISIONS = ("decision", "willing", "include", "upheld")
HISTORY_WORDS = ("opinion", "return_reasons", "pledge", "decline_reason", "note", "finding", "answer")


def _candidate(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    where = " · ".join(str(value[k]) for k in ("branch", "village") if value.get(k))
    return f"{value.get('name', '')}{labels.paren(where)}" if where else str(value.get("name", ""))


def _computed_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows for values the diagrams compute (not form fields), each with its own wording."""
    shown: list[tuple[str, Any, Any]] = [
        (_("候选人"), data.get("candidate"), _candidate),
        (_("党员测评人数"), data.get("member_count"), str),
        (_("党员测评平均分"), data.get("member_score"), str),
        (_("群众测评人数"), data.get("public_count"), str),
        (_("群众测评平均分"), data.get("public_score"), str),
        (_("测评结果"), data.get("evaluation_result"), labels.outcome),
        (_("测评截止"), data.get("evaluation_until"), deadline),
        (_("公示截止"), data.get("notice_until"), deadline),
        (_("已退回次数"), data.get("return_count") or None, str),
    ]
    return [(label, show(value)) for label, value, show in shown if value not in (None, "")]


def _approval_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    approval = data.get("approval")
    if isinstance(approval, dict) and approval.get("decision"):
        text = labels.value_text("decision", approval["decision"])
        if approval.get("opinion"):
            text = labels.pair(text, str(approval["opinion"]))
        rows.append((_("审批结果"), text))
    post = data.get("post")
    if isinstance(post, dict) and post.get("plate_no"):
        rows.append((_("牌号 / 徽章号"), f"{post['plate_no']} / {post.get('badge_no', '')}"))
    return rows


def data_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The data a task or instance carries, as label/value rows; the rest stays in the raw view."""
    rows = _computed_rows(data)
    for key in FORM_KEYS:
        label = labels.field_label(key) or key
        # A planned figure (e.g. the number of villagers asked) gives way to the counted one.
        if data.get(key) not in (None, "", []) and label not in {shown for shown, _value in rows}:
            rows.append((label, labels.value_text(key, data[key])))
    return rows + _approval_rows(data)


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
