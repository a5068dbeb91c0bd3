"""A dossier or a 审批表 as JSON: the collection's dataclasses key by key (their field names are the
published format, see `services.audit.dossier_model`), times ISO 8601 in China time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from ..clock import CHINA_TZ


def plain(value: Any) -> Any:
    """Dataclasses and named tuples as objects, times as ISO text, the rest as JSON has it."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif isinstance(value, tuple) and hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        value = value.astimezone(CHINA_TZ)
    return value.isoformat() if isinstance(value, dt.date) else value


def to_json(document: Any) -> bytes:
    return json.dumps(plain(document), ensure_ascii=False, indent=2).encode("utf-8")
