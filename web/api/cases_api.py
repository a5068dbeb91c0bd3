"""GET /api/v1/instances: 案件查询 — every case, running or ended, by filters, newest first, a page
at a time with a keyset cursor and the total count.

Who may search, which branch, and whether a status, outcome or procedure exists is the engine's
decision (as on the page): another branch is refused (403), an unknown value is refused naming its
field (422). Query parameters are strict: an unknown one, or an id that is not plain digits, is
refused by the schema (422, `errors.query`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from xianfeng.engine.services.audit import cases
from xianfeng.engine.services.audit.case_filters import MAX_PAGE_SIZE, MAX_WORDS, PAGE_SIZE
from xianfeng.engine.services.audit.cases import CasePage

from ..context import kernel, require_actor
from .common import ApiBlueprint, Instant, StrictSchema, protected, query

blueprint = ApiBlueprint("cases_api", __name__, url_prefix="/api/v1", description="Case search (案件查询)")
_DIGITS = re.compile(r"[1-9][0-9]{0,8}")
_CODE = validate.Length(min=1, max=64)


class QueryId(fields.Integer):
    """A whole number in a query string, written in plain ASCII digits: int() would also take
    " 7", "+7", "7_0" and "٧", and marshmallow's strict integers refuse every query string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str) or _DIGITS.fullmatch(value) is None:
            raise ValidationError("Not a whole number in plain digits.")
        return int(value)


class CaseQuery(StrictSchema):
    procedure = fields.String(
        validate=_CODE, metadata={"description": "process key, e.g. model_post_creation"}
    )
    status = fields.String(validate=_CODE, metadata={"description": "running, completed …"})
    outcome = fields.String(
        validate=_CODE,
        metadata={"description": "the end event's outcome code, e.g. evaluation_lapsed, rejected"},
    )
    branch_id = QueryId()
    village_id = QueryId(metadata={"description": "the case's village, or its subject's (a nominee's)"})
    member_id = QueryId(
        metadata={
            "description": "a member the case concerns (nominee, post holder, area member) or who acted"
        }
    )
    started_from = fields.Date(metadata={"description": "first day started, China time, inclusive"})
    started_to = fields.Date(metadata={"description": "last day started, China time, inclusive"})
    q = fields.String(validate=validate.Length(max=MAX_WORDS), metadata={"description": "words in the title"})
    after = fields.String(
        validate=validate.Length(max=40), metadata={"description": "the `next` cursor of the previous page"}
    )
    before = fields.String(
        validate=validate.Length(max=40), metadata={"description": "the `previous` cursor"}
    )
    limit = QueryId(load_default=PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class WaitingStepSchema(Schema):
    name = fields.String()
    name_en = fields.String()
    role = fields.String(metadata={"description": "the task's lane role; empty for a timer"})
    kind = fields.String(metadata={"description": "task or timer"})
    count = fields.Integer(metadata={"description": "how many wait there (e.g. villagers' links)"})
    due_at = Instant(allow_none=True)


class CaseSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String()
    process_key = fields.String()
    procedure = fields.String(metadata={"description": "the pinned version's name"})
    version = fields.Integer(metadata={"description": "the pinned version's number"})
    branch_id = fields.Integer(allow_none=True)
    branch = fields.String()
    village_id = fields.Integer(allow_none=True)
    village = fields.String(metadata={"description": "its own village, or its subject's"})
    status = fields.String()
    outcome = fields.String()
    end_event = fields.String()
    outcome_name = fields.String(metadata={"description": "the end event's name in the diagram"})
    outcome_name_en = fields.String()
    started_at = Instant()
    updated_at = Instant()
    ended_at = Instant(allow_none=True)
    waiting = fields.List(
        fields.Nested(WaitingStepSchema), metadata={"description": "where a running case waits"}
    )


class CasePageSchema(Schema):
    cases = fields.List(fields.Nested(CaseSchema), attribute="rows")
    total = fields.Integer(metadata={"description": "every case matching the filters"})
    next = fields.String(allow_none=True, metadata={"description": "pass as `after` for the older page"})
    previous = fields.String(allow_none=True, metadata={"description": "pass as `before` for the newer page"})
    limit = fields.Integer()


@blueprint.route("/instances", methods=["GET"])
@protected(blueprint, 403, 422)
@query(blueprint, CaseQuery)
@blueprint.response(200, CasePageSchema)
def search(args: dict[str, Any]) -> CasePage:
    """Cases by procedure, status, outcome, branch, village, member, start dates and title words

    Newest first (by start time, then id). Follow `next` with `after` for older cases; `total`
    counts every match. Auditors, the committee and administrators search the town; a branch its
    own cases; anyone else is refused (403).
    """
    # The schema checked the types; the engine checks the values, all fields in one answer.
    query = {
        name: value.isoformat() if isinstance(value, dt.date) else str(value) for name, value in args.items()
    }
    return cases.search_query(kernel(), require_actor(), query)
