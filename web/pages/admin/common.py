"""What the administrators' pages share: a refusal worded in the page's language, numbers from the
query or the form, and the admin stylesheet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request

from xianfeng.engine.errors import FormInvalid, XianfengError

from .. import labels


def said(error: XianfengError) -> str:
    """The refusal as the page's reader reads it: the service's Chinese, or its English."""
    if isinstance(error, FormInvalid):
        texts = error.errors_zh if labels.lang() == "zh_CN" else error.errors
        return labels.joined(list(texts.values()))
    if labels.lang() == "zh_CN" and error.params.get("zh"):
        return str(error.params["zh"])
    return error.message


def field_errors(error: XianfengError | None) -> dict[str, str]:
    """Field → message, for the form that was refused (a field-less refusal goes under "")."""
    if error is None:
        return {}
    if isinstance(error, FormInvalid):
        return dict(error.errors_zh if labels.lang() == "zh_CN" else error.errors)
    return {str(error.params.get("field", "")): said(error)}


def number(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


def day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def form(name: str) -> str:
    return request.form.get(name, "").strip()


def args_of(*names: str) -> dict[str, Any]:
    return {name: request.args.get(name, "") for name in names}
