"""What every request must be before any view sees it: no server error on any input.

Probing found 500s for ids past the database's integers (2^63 on SQLite, 2^31 on PostgreSQL), a
JSON body with a lone surrogate, JSON nested 100,000 deep, a notification id of 2^70, and a NUL
character in a title or a username on PostgreSQL. Here, before the views:

- an id in a path is a whole number the database can hold (`BoundedInt`, the `int` converter of
  every route): a larger one matches no route, so it is 404 like any unknown id;
- a JSON body is parsed once, bounded in depth, and refused (400) when it is not JSON or holds a
  NUL character or a lone surrogate, naming the field (`json.data.title`);
- every text of a form, a query string and a file name is refused (400) the same way, naming it,
  and so is a whole number in a query string past the largest id (pages read ids from queries);
- integers in a JSON body beyond what JSON carries exactly (±2^53) are refused (422).

Fields that hold ids are bounded by their schemas (`api.common.Id`), so an id of 2^31 in a body is
a 422 naming the field rather than a database error.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnprocessableEntity
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL's integer columns; SQLite's hold more
_WHOLE = re.compile(r"[+-]?[0-9]{1,4300}")  # a query value a page may read as an id
MAX_DEPTH = 64  # nesting of a JSON body: the deepest real form data is 3 levels
SAFE_INTEGER = 2**53 - 1  # what a JSON number carries exactly in every client
MAX_JSON_BYTES = 4 * 1024 * 1024  # form data and verbs are small; files travel as multipart


class BoundedInt(IntegerConverter):
    """`<int:…>` in a route: a whole number from 0 to the largest id any table can hold."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class InputRefused(BadRequest):
    """A request refused before any view ran, naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.data = {"messages": {field: [message]}}


class UnprocessableEntityField(UnprocessableEntity):
    """A value that is well formed but out of range (422), naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.data = {"messages": {field: [message]}}


def install(app: Flask) -> None:
    """Bound `<int:…>` in every route (before any is added) and check each request first."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request(check_request)


def check_request() -> None:
    if "\x00" in request.path:
        raise InputRefused("path", "a NUL character is not allowed")
    for where, values in (("query", request.args), ("form", request.form)):
        for name, value in values.items(multi=True):
            _check_text(f"{where}.{name}", str(name or ""))
            _check_text(f"{where}.{name}", str(value or ""))
    for name, value in request.args.items(multi=True):
        if _WHOLE.fullmatch(value or "") and abs(int(value)) > MAX_ID:
            raise InputRefused(f"query.{name}", f"a number past {MAX_ID} names nothing here")
    for name, stored in request.files.items(multi=True):
        _check_text(f"files.{name}", str(name or ""))
        _check_text(f"files.{name}", stored.filename or "")
    if request.is_json:
        _check_json()


def _check_text(field: str, value: str) -> None:
    problem = _text_problem(value)
    if problem:
        raise InputRefused(field, problem)


def _text_problem(value: str) -> str:
    if "\x00" in value:
        return "a NUL character is not allowed"
    if any("\ud800" <= char <= "\udfff" for char in value):
        return "a lone surrogate is not a character (send UTF-8 text)"
    return ""


def _check_json() -> None:
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise RequestEntityTooLarge()
    raw = request.get_data(cache=True)
    if not raw.strip():
        return  # no body: the view's schema says whether one was required
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(raw) > MAX_DEPTH:
        raise InputRefused("json", f"the body is nested deeper than {MAX_DEPTH} levels")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InputRefused("json", f"the body is not valid JSON ({str(exc)[:120]})") from exc
    for field, value in _leaves(body, "json"):
        if isinstance(value, str):
            _check_text(field, value)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > SAFE_INTEGER:
            raise UnprocessableEntityField(
                field, f"give a whole number from -{SAFE_INTEGER} to {SAFE_INTEGER}"
            )
        elif isinstance(value, float) and not math.isfinite(value):
            raise UnprocessableEntityField(field, "give a finite number")


def _depth(raw: bytes) -> int:
    """The deepest nesting of brackets outside strings, without parsing (so without recursion)."""
    deepest = depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) for every key and scalar of a parsed body (keys are checked as text too)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", key
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}.{index}")
    else:
        yield path, value
