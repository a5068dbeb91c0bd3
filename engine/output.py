"""Printing results for people or as JSON (dataclasses, dates and datetimes included)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import click


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def emit(ctx: click.Context, value: Any, describe: Callable[[Any], str]) -> None:
    if ctx.obj.get("json"):
        click.echo(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))
    else:
        click.echo(describe(value))
