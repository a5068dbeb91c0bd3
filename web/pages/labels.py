"""Words for codes the services return (statuses, roles, event kinds, data keys), in the page's language.

Each table is built inside a function, so `_()` runs per request in the request's language. Labels
of form fields and their options come from the form files themselves (`field_label`, `value_text`),
never from a copy here: an administrator who edits a form changes what the pages say.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from xianfeng.forms import FormDefinition, builtin_form_files, load_form


def lang() -> str:
    """The form-label language of this request: "zh_CN" or "en"."""
    return "en" if str(get_locale()) == "en" else "zh_CN"


def _pick(table: dict[str, str], code: Any) -> str:
    return table.get(str(code), str(code) if code not in (None, "") else "")


def status(code: Any) -> str:
    return _pick(
        {
            "running": _("进行中"),
            "completed": _("已办结"),
            "active": _("有效"),
            "revoked": _("已撤销"),
            "draft": _("草案"),
            "retired": _("已停用"),
            "discarded": _("已作废"),
            "ended": _("已结束"),
            "pending": _("待核查"),
            "upheld": _("异议成立"),
            "dismissed": _("异议不成立"),
            "cancelled": _("已取消"),
            "suspended": _("已暂停"),
            "withdrawn": _("已撤回"),
        },
        code,
    )


def outcome(code: Any) -> str:
    """An outcome no diagram names: how a case ended outside its procedure (an administrator's
    cancellation). A procedure's outcomes are the names of its end events (`case_text.outcome_words`)."""
    return _pick({"cancelled": _("管理员取消"), "withdrawn": _("发起人撤回")}, code)


def role(code: Any) -> str:
    return _pick(
        {
            "member": _("党员"),
            "branch": _("党支部"),
            "committee": _("镇党委"),
            "admin": _("管理员"),
            "auditor": _("审计"),
            "public": _("群众"),
        },
        code,
    )


def event_kind(code: Any) -> str:
    return _pick(
        {
            "start": _("发起"),
            "complete": _("办理"),
            "tick": _("定时触发"),
            "message": _("收到消息"),
            "return": _("退回"),
            "transfer": _("转办"),
            "delegate": _("委派"),
            "resolve": _("交还"),
            "add_signer": _("加签"),
            "sign": _("签署"),
            "copy": _("抄送"),
            "urge": _("催办"),
            "survey": _("群众问卷答复"),
            "objection": _("提出异议"),
            "cancel": _("取消"),
            "suspend": _("暂停"),
            "resume": _("恢复"),
            "reassign": _("转交"),
            "migrate": _("迁移"),
            "withdraw": _("撤回"),
        },
        code,
    )


def event_words(event: dict[str, Any]) -> str:
    """What an event did, in words: an administrator's intervention says which one, where the
    kind alone would not (a completion on someone's behalf, a retried step, the version moved to)."""
    payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
    kind = event.get("kind")
    if kind == "complete" and payload.get("on_behalf"):
        return _("代为办理")
    if kind == "tick" and payload.get("retry"):
        return _("重试")
    if kind == "migrate" and payload.get("to_version"):
        return _("迁移到第 %(version)s 版", version=payload["to_version"])
    return event_kind(kind)


def notification_kind(code: Any) -> str:
    return _pick(
        {
            "task": _("新待办"),
            "transferred": _("转办给您"),
            "delegated": _("委派给您"),
            "resolved": _("委派已交还"),
            "signer": _("请您加签"),
            "signed": _("加签人已签署"),
            "copy": _("抄送给您"),
            "urge": _("催办"),
        },
        code,
    )


def process_name(name: str) -> str:
    """A diagram's name in the page's language: the diagrams name processes "中文 English"."""
    chinese, _sep, english = name.partition(" ")
    if not english or not english[:1].isascii():
        return name
    return english if lang() == "en" else chinese


def pair(label: str, value: str) -> str:
    """`label：value` in Chinese, `label: value` in English."""
    return f"{label}: {value}" if lang() == "en" else f"{label}：{value}"


def paren(text: str) -> str:
    """An aside: full-width brackets in Chinese, a space and ASCII brackets in English.

    Markup stays markup (a template's `_()` result is already escaped, and must not be twice).
    """
    template = " ({})" if lang() == "en" else "（{}）"
    return Markup(template).format(text) if isinstance(text, Markup) else template.format(text)


def joined(parts: list[str], enumeration: bool = False) -> str:
    """Parts of one sentence: 、 (lists) or ； between clauses in Chinese, commas or semicolons in English."""
    if lang() == "en":
        return (", " if enumeration else "; ").join(parts)
    return ("、" if enumeration else "；").join(parts)


def yes_no(value: Any) -> str:
    return _("是") if value else _("否")


@functools.cache
def shipped_forms() -> dict[str, FormDefinition]:
    """The forms shipped with the package: where field labels of data keys come from."""
    return {name: load_form(name, raw) for name, raw in builtin_form_files().items()}


def _field(key: str) -> dict[str, Any] | None:
    for form in shipped_forms().values():
        prop = form.schema.get("properties", {}).get(key)
        if isinstance(prop, dict):
            return prop
    return None


def field_label(key: str) -> str | None:
    prop = _field(key)
    if prop is None:
        return None
    return str(prop["title"] if lang() == "zh_CN" else prop.get("x-title-en", prop["title"]))


def option_text(prop: dict[str, Any], value: Any) -> str:
    """One value as a person reads it: its enum label, 是/否, or the value itself."""
    labels = prop.get("x-enum-labels")
    if isinstance(labels, dict) and isinstance(labels.get(str(value)), dict):
        return str(labels[str(value)].get(lang(), value))
    if isinstance(value, bool):
        return yes_no(value)
    return str(value)


def value_text(key: str, value: Any) -> str:
    """A data value under a form field's name, shown with that field's option labels."""
    prop = _field(key) or {}
    if isinstance(value, list):
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        return joined([option_text(items or {}, v) for v in value], enumeration=True)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return option_text(prop, value)


def category(code: Any) -> str:
    prop = _field("category")
    return option_text(prop, code) if prop else str(code)
