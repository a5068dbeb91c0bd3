"""Paged lists in the API: the body stays the list it always was (one page of it), and the page's
place travels in headers, as many APIs do: `X-Total-Count` (every row of the list with its
filters) and `Link: <…?after=CURSOR>; rel="next"` while there are more. Pass the cursor back as
`after`; it names the last row of the page (keyset), so rows that come and go between requests
never shift a page.

The query's types are checked here (422 `errors.query`); what a cursor or filter means, the engine.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from marshmallow import fields, validate

from xianfeng.engine.services.inbox_paging import ListPage
from xianfeng.engine.services.inbox_query import MAX_PAGE_SIZE, PAGE_SIZE

from .common import StrictSchema

API_PAGE_SIZE = PAGE_SIZE
PAGE_HEADERS = {
    "X-Total-Count": {"description": "rows of the whole filtered list", "schema": {"type": "integer"}},
    "Link": {
        "description": 'the next page, `<URL>; rel="next"`, while there is one',
        "schema": {"type": "string"},
    },
}


class PageQuery(StrictSchema):
    after = fields.String(
        validate=validate.Length(min=1, max=80),
        metadata={"description": "the cursor of the previous page's `Link: rel=next` (the last row)"},
    )
    limit = fields.Integer(load_default=API_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class TodoQuery(PageQuery):
    procedure = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the case's process key, e.g. model_post_creation"},
    )
    branch_id = fields.Integer(validate=validate.Range(min=1), metadata={"description": "the task's branch"})
    overdue = fields.Boolean(metadata={"description": "only tasks past their due time"})


def as_args(args: dict[str, Any]) -> dict[str, str]:
    """The checked query as the engine reads a query string."""
    return {name: _text(value) for name, value in args.items() if value is not None}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def paged(found: ListPage[Any]) -> tuple[list[Any], dict[str, str]]:
    """The page's rows, with its total and the link to the next page as headers."""
    headers = {"X-Total-Count": str(found.total)}
    if found.next:
        kept = {name: value for name, value in request.args.items() if name != "after"}
        link = url_for(request.endpoint or "", **kept, after=found.next)
        headers["Link"] = f'<{link}>; rel="next"'
    return found.rows, headers
