"""Schemas of tasks and steps: the requests an approver sends and what the engine answers.

Requests are strict (unknown fields → 422). Form data stays an open object here on purpose: the
task's JSON Schema form, not the API, decides what it may hold, and the engine reports each bad
field by name (422 `form_invalid`).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_dump, validate, validates_schema

from xianfeng.engine.services.results import TaskSummary
from xianfeng.engine.services.tasks import BatchResult
from xianfeng.forms import FormDefinition

from ..errors import error_body, status_of
from .common import Instant, StrictSchema, etag_of


def form_data() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "the form's fields; GET /api/v1/tasks/{id} gives the form's JSON Schema"},
    )


def reason() -> fields.String:
    """The engine also refuses a reason under 2 characters once stripped (422 rule_violation)."""
    return fields.String(required=True, validate=validate.Length(min=2, max=1000))


def usernames() -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(min=1, max=50),
        metadata={"description": "usernames (or give `user_ids`)"},
    )


def user_ids() -> fields.List:
    return fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        validate=validate.Length(min=1, max=50),
        metadata={"description": "account ids, as GET /api/v1/people answers them (or give `users`)"},
    )


class PeopleBody(StrictSchema):
    """People chosen by account id (`user_ids`, from GET /api/v1/people) or by username (`users`)."""

    @validates_schema
    def _one_way(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("users" in data) == ("user_ids" in data):
            raise ValidationError("give the people chosen as user_ids (or as users), not both", "user_ids")

    @post_load
    def _chosen(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["chosen"] = data.pop("user_ids", None) or data.pop("users", [])
        return data


def _etag(task: TaskSummary) -> str:
    return etag_of(task.instance_id, task.instance_version)


class TaskSummarySchema(Schema):
    id = fields.String(required=True)
    instance_id = fields.Integer(required=True)
    instance_title = fields.String()
    name = fields.String(metadata={"description": "the task's name in Chinese"})
    name_en = fields.String()
    role = fields.String(metadata={"description": "the diagram lane: branch, member, public, committee"})
    spec_id = fields.String(metadata={"description": "the BPMN element id"})
    form = fields.String(metadata={"description": "the form file, e.g. approval.json"})
    due_at = Instant(allow_none=True)
    overdue = fields.Boolean()
    created_at = Instant(allow_none=True)
    assignee_user_id = fields.Integer(allow_none=True)
    version = fields.Integer(
        attribute="instance_version", metadata={"description": "the instance's state version"}
    )
    etag = fields.Function(_etag, metadata={"type": "string", "description": "send as If-Match"})
    batch = fields.Dict(
        allow_none=True,
        metadata={
            "description": "the form's ui.batch when like tasks may be decided together through "
            "/tasks/batch-complete: {fields: [...], choices: {field: [values]}}"
        },
    )


class StepOutcomeSchema(Schema):
    instance_id = fields.Integer(required=True)
    version = fields.Integer(metadata={"description": "the instance's state version after the step"})
    status = fields.String(metadata={"description": "running, completed, …"})
    outcome = fields.String(metadata={"description": "e.g. established, rejected; empty while running"})
    event_seq = fields.Integer(metadata={"description": "the step's place in the hash-chained log"})
    messages_delivered = fields.Integer()
    next_tasks = fields.List(fields.Nested(TaskSummarySchema))


class FormSchema(Schema):
    name = fields.String()
    id = fields.String()
    title = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "zh_CN, en"})
    description = fields.Dict(keys=fields.String(), values=fields.String())
    schema = fields.Dict(metadata={"description": "JSON Schema (draft 2020-12) the data must satisfy"})
    ui = fields.Dict(metadata={"description": "UI hints"})
    order = fields.Function(
        FormDefinition.field_names,
        metadata={"type": "array", "items": {"type": "string"}, "description": "fields in display order"},
    )
    sha256 = fields.String()


class SignerSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    reason = fields.String()
    opinion = fields.String(allow_none=True)
    signed = fields.Boolean()
    signed_at = Instant(allow_none=True)


class ReturnTargetSchema(Schema):
    id = fields.String()
    name = fields.String()


class TaskViewSchema(Schema):
    id = fields.String(required=True)
    instance_id = fields.Integer(required=True)
    instance_title = fields.String()
    name = fields.String()
    name_en = fields.String()
    role = fields.String()
    spec_id = fields.String()
    process_id = fields.String()
    form = fields.Nested(FormSchema)
    instructions = fields.String()
    data = fields.Dict(metadata={"description": "the instance's data as the task sees it"})
    due_at = Instant(allow_none=True)
    version = fields.Integer(attribute="state_version")
    etag = fields.Function(
        lambda view: etag_of(view.instance_id, view.state_version), metadata={"type": "string"}
    )
    verbs = fields.List(
        fields.String(),
        metadata={
            "description": "complete, return, transfer, delegate, add_signer, sign, resolve, urge, copy"
        },
    )
    return_targets = fields.List(fields.Nested(ReturnTargetSchema))
    assignee = fields.String()
    owner = fields.String()
    delegation_state = fields.String(metadata={"description": "'', pending or resolved"})
    signers = fields.List(fields.Nested(SignerSchema))


class VerbResultSchema(Schema):
    instance_id = fields.Integer()
    task_id = fields.String()
    kind = fields.String()
    event_seq = fields.Integer()
    notified = fields.Integer(metadata={"description": "notifications written"})


class BatchErrorSchema(Schema):
    code = fields.String()
    message = fields.String()
    status = fields.Integer(metadata={"description": "the status the error has as a single request"})
    errors = fields.Dict()
    details = fields.Dict()


class BatchItemSchema(Schema):
    task_id = fields.String()
    ok = fields.Boolean()
    outcome = fields.Nested(StepOutcomeSchema, allow_none=True)
    error = fields.Nested(BatchErrorSchema, allow_none=True)

    @pre_dump
    def _flatten(self, item: BatchResult, **kwargs: Any) -> dict[str, Any]:
        """A refused task reports the same code and message it would as a single request."""
        error = None if item.error is None else {**error_body(item.error), "status": status_of(item.error)}
        return {"task_id": item.task_id, "ok": item.error is None, "outcome": item.outcome, "error": error}


class BatchReportSchema(Schema):
    results = fields.List(fields.Nested(BatchItemSchema))
    completed = fields.Integer()
    failed = fields.Integer()

    @pre_dump
    def _count(self, results: list[BatchResult], **kwargs: Any) -> dict[str, Any]:
        failed = sum(r.error is not None for r in results)
        return {"results": results, "completed": len(results) - failed, "failed": failed}


# Requests


class CompleteBody(StrictSchema):
    data = form_data()


class BatchCompleteBody(StrictSchema):
    task_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=1, max=100),
    )
    data = form_data()


class ReturnBody(StrictSchema):
    target = fields.String(required=True, metadata={"description": "an id from the task's return_targets"})
    reason = reason()


class ReassignBody(StrictSchema):
    """Transfer (转办) or delegate (委派) to one person: `to_id` (an id from GET /api/v1/people) or `to`."""

    to = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "username"})
    to_id = fields.Integer(
        strict=True, validate=validate.Range(min=1), metadata={"description": "the person's account id"}
    )
    reason = reason()

    @validates_schema
    def _one_way(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("to" in data) == ("to_id" in data):
            raise ValidationError("give the person chosen as to_id (or as to), not both", "to_id")

    @post_load
    def _chosen(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["chosen"] = data.pop("to_id", None) or data.pop("to", "")
        return data


class OpinionBody(StrictSchema):
    opinion = reason()


class SignersBody(PeopleBody):
    users = usernames()
    user_ids = user_ids()
    reason = reason()


class UrgeBody(StrictSchema):
    note = fields.String(load_default="", validate=validate.Length(max=500))


class CopyBody(PeopleBody):
    users = usernames()
    user_ids = user_ids()
    note = fields.String(load_default="", validate=validate.Length(max=1000))
    task_id = fields.String(load_default="", validate=validate.Length(max=64))


class AttachmentSchema(Schema):
    sha256 = fields.String(
        required=True, metadata={"description": "put this in the file field's value when completing the task"}
    )
    name = fields.String(metadata={"description": "the file's name as first uploaded"})
    media_type = fields.String(metadata={"description": "from the file's kind, checked against its bytes"})
    size = fields.Integer()


class UploadedSchema(Schema):
    files = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(AttachmentSchema)),
        metadata={"description": "by form field, the files stored"},
    )
