"""A case's history in the page's language (办理记录): what was done, by whom in which role, the
opinion as written and the form's answers under their labels."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from xianfeng.engine.services.case_history import HistoryEntry

from . import labels


def _operations() -> dict[str, str]:
    return {
        "start": _("发起"),
        "submit": _("提交"),
        "return": _("退回"),
        "transfer": _("转办"),
        "delegate": _("委派"),
        "resolve": _("交还"),
        "add_signer": _("加签"),
        "sign": _("签署"),
        "copy": _("抄送"),
        "urge": _("催办"),
        "withdraw": _("撤回"),
        "timer": _("系统定时"),
        "message": _("收到消息"),
        "objection": _("提出异议"),
        "survey": _("群众问卷"),
        "admin_cancel": _("管理员干预：取消"),
        "admin_suspend": _("管理员干预：暂停"),
        "admin_resume": _("管理员干预：恢复"),
        "admin_reassign": _("管理员干预：转交"),
        "admin_complete": _("管理员干预：代为办理"),
        "admin_retry": _("管理员干预：重试"),
        "admin_migrate": _("管理员干预：迁移"),
    }


def operation_words(entry: HistoryEntry) -> str:
    if entry.operation == "admin_migrate" and entry.to_version:
        return _("管理员干预：迁移到第 %(version)s 版", version=entry.to_version)
    return _operations().get(entry.operation, entry.operation)


def _words(value: dict[str, str]) -> str:
    return value.get(labels.lang()) or value.get("zh_CN", "") if value else ""


def _who(entry: HistoryEntry) -> tuple[str, str]:
    if entry.actor in ("", "system") and not entry.actor_name:
        return _("系统"), ""
    if entry.actor == "public":
        return labels.role("public"), ""
    return entry.actor_name or entry.actor, _role(entry.role)


def _role(code: str) -> str:
    if code == "operator":
        return _("系统操作员")
    return labels.role(code)


def _handed(entry: HistoryEntry) -> str:
    """To whom a verb handed the task or a copy, as a phrase."""
    names = labels.joined(entry.targets, enumeration=True)
    if entry.returned_to:
        return _("退回到 %(step)s", step=_words(entry.returned_to))
    if not entry.targets:
        return ""
    phrases = {
        "transfer": _("转办给 %(people)s", people=names),
        "delegate": _("委派给 %(people)s", people=names),
        "add_signer": _("请 %(people)s 加签", people=names),
        "copy": _("抄送给 %(people)s", people=names),
        "reassign": _("交给 %(people)s", people=names),
    }
    return phrases.get(entry.kind, names)


def history_row(entry: HistoryEntry) -> dict[str, Any]:
    actor, role = _who(entry)
    return {
        "number": entry.number,
        "at": entry.at,
        "step": _words(entry.step),
        "operation": operation_words(entry),
        "admin": entry.operation.startswith("admin_"),
        "actor": actor,
        "role": role,
        "handed": _handed(entry),
        "written": entry.written,
        "short": [(_words(a.label), _words(a.value)) for a in entry.answers if not a.long],
        "long": [(_words(a.label), _words(a.value)) for a in entry.answers if a.long],
        "withheld": entry.withheld,
    }


def history_rows(entries: list[HistoryEntry]) -> list[dict[str, Any]]:
    return [history_row(entry) for entry in entries]
