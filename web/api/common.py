"""What every API module shares: strict request schemas, the error body, times, the instance ETag,
and the decorator that both enforces and documents the bearer token.

Enforcement and documentation of authentication come from one decorator on purpose: an operation
cannot be protected without the OpenAPI document saying so, nor documented as protected without
being so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from marshmallow import EXCLUDE, RAISE, Schema, fields, post_load, validate

from xianfeng.engine.clock import CHINA_TZ

from ..auth import api_login_required
from ..inputs import MAX_ID

View = TypeVar("View", bound=Callable[..., Any])

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
# An id a request names: a whole number any table's key can hold (PostgreSQL's integer), else 422.
ID_RANGE = validate.Range(min=1, max=MAX_ID)
ETAG_PATTERN = re.compile(r'^"(\d+)-(\d+)"$')
ERROR_DESCRIPTIONS = {
    401: "No valid bearer token (missing, forged, expired, or the account changed).",
    403: "The caller's role or branch scope does not allow this.",
    404: "No such task, instance, process, post or account.",
    409: "Stale: the task changed since its ETag was read (done by someone else, or ready again "
    "after a return); other tasks' steps do not make it stale.",
    410: "The single-use link is unknown, used, closed or expired.",
    413: "The request is larger than the upload limit.",
    422: "The request or the form data breaks a rule; `errors` names each field.",
    428: "The If-Match header is missing or is not an ETag of this API.",
}


class ApiBlueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, with each request schema instantiated once, when declared.

    Given a Schema class, webargs builds a new instance on every request (deep copies of the
    declared fields, binding, hooks), a good part of the cost of parsing a small body. Loading
    keeps no state on the schema, so one instance serves every request and thread (flask-smorest
    does the same for response schemas), and the OpenAPI document of a plain instance is that of
    its class.
    """

    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any) -> Any:
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


class StrictSchema(Schema):
    """Request schemas: an unknown field is refused (422), never silently dropped."""

    class Meta:
        unknown = RAISE


class ApiErrorSchema(Schema):
    """Every error body of the API: the engine's typed errors, HTTP errors and schema errors alike."""

    code = fields.String(required=True, metadata={"description": "stable machine code, e.g. not_allowed"})
    message = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "field → message(s), for 422 and 428"})
    errors_zh = fields.Dict(metadata={"description": "field → message in Chinese (form errors)"})
    details = fields.Dict(metadata={"description": "parameters of the error, e.g. the task id"})


class Instant(fields.DateTime):
    """ISO 8601 in China time with its offset: the people reading it are in China, and the offset
    keeps it unambiguous for machines. The database hands back aware UTC times."""

    def _serialize(self, value: dt.datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:  # the engine's columns are UTC; never emit a time without offset
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(CHINA_TZ).isoformat()


def etag_of(instance_id: int, state_version: int) -> str:
    """The ETag of a task as read at an instance state. Sent back as If-Match, it is refused only
    when the task itself changed since (`engine.services.task_versions`): another task's step
    moves the version but leaves the ETags of the other open tasks good."""
    return f'"{instance_id}-{state_version}"'


class IfMatchHeader(Schema):
    """`If-Match: "<instance_id>-<state_version>"`, as sent by GET /tasks/{id}; required on steps so
    that a decision taken on a stale page is refused (409) instead of silently overriding another."""

    class Meta:
        unknown = EXCLUDE  # every other header of the request

    if_match = fields.String(
        data_key="If-Match",
        required=True,
        validate=validate.Regexp(ETAG_PATTERN, error='not an ETag of this API ("<instance>-<version>")'),
        metadata={"description": 'the ETag of GET /api/v1/tasks/{id}, e.g. "12-7"'},
    )

    @post_load
    def _parse(self, data: dict[str, str], **kwargs: Any) -> dict[str, int]:
        instance_id, version = data["if_match"].strip('"').split("-")  # the validator checked the form
        return {"instance_id": int(instance_id), "version": int(version)}


def if_match(blueprint: ApiBlueprint) -> Callable[[View], View]:
    """Parse If-Match into {"instance_id", "version"}; missing or malformed → 428 Precondition Required."""
    return blueprint.arguments(IfMatchHeader, location="headers", error_status_code=428)


class ListQuery(StrictSchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


def query(blueprint: ApiBlueprint, schema: type[Schema]) -> Callable[[View], View]:
    """Query-string arguments, strict like bodies: webargs would otherwise drop unknown ones, and a
    misspelt filter (`?branch=2`) would silently answer with everything."""
    return blueprint.arguments(schema, location="query", unknown=RAISE)


def protected(blueprint: ApiBlueprint, *statuses: int) -> Callable[[View], View]:
    """Require a bearer token (401 otherwise) and document it with the error statuses listed.

    Apply it directly under `route`, so the token is checked before the body is parsed: a caller
    without a token learns nothing about the request format.
    """

    def decorate(view: View) -> View:
        wrapped: Any = api_login_required(view)
        for status in sorted({401, *statuses}, reverse=True):
            wrapped = blueprint.alt_response(
                status, schema=ApiErrorSchema, description=ERROR_DESCRIPTIONS.get(status)
            )(wrapped)
        return blueprint.doc(security=BEARER)(wrapped)

    return decorate
