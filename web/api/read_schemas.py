"""Schemas of what people read: instances, their history and diagrams, the inbox lists,
notifications and the model-post register; and the few requests that go with them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import ID_RANGE, Instant, StrictSchema


class ProcessVersionSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    bundle_hash = fields.String(metadata={"description": "sha256 of the diagrams and forms pinned"})
    files = fields.List(fields.Dict(), metadata={"description": "[{name, sha256}]"})


class ReadyTaskSchema(Schema):
    id = fields.String()
    name = fields.String()
    role = fields.String()
    form = fields.String()
    due_at = Instant(allow_none=True)
    assignee_user_id = fields.Integer(allow_none=True)


class TimerSchema(Schema):
    id = fields.String(metadata={"description": "the waiting task id"})
    element = fields.String()
    due_at = Instant()


class InstanceSchema(Schema):
    id = fields.Integer(required=True)
    process_key = fields.String()
    title = fields.String()
    status = fields.String()
    outcome = fields.String()
    end_event = fields.String()
    version = fields.Integer(metadata={"description": "the state version (as in the ETag)"})
    events = fields.Integer(metadata={"description": "events in the instance's log"})
    branch_id = fields.Integer(allow_none=True)
    process_version = fields.Nested(ProcessVersionSchema, metadata={"description": "the pinned version"})
    started_at = Instant()
    updated_at = Instant()
    ended_at = Instant(allow_none=True)
    task_count = fields.Integer()
    max_depth = fields.Integer()
    head_hash = fields.String()
    ready_tasks = fields.List(fields.Nested(ReadyTaskSchema))
    timers = fields.List(fields.Nested(TimerSchema))
    completed_elements = fields.List(fields.String())
    data = fields.Dict()


class EventSchema(Schema):
    seq = fields.Integer()
    instance_version = fields.Integer()
    kind = fields.String(metadata={"description": "start, complete, tick, return, transfer, sign, …"})
    task_id = fields.String(allow_none=True)
    element = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    business_time = Instant()
    recorded_at = Instant()
    payload = fields.Dict()
    effects = fields.List(fields.Dict(), metadata={"description": "recorded effect results, for replay"})
    bundle_hash = fields.String()
    state_hash = fields.String()
    hash = fields.String()
    prev_hash = fields.String()


class DiagramSchema(Schema):
    instance_id = fields.Integer()
    process_key = fields.String()
    diagrams = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"description": "file name → BPMN XML"}
    )
    completed = fields.List(fields.String(), metadata={"description": "element ids that ran"})
    current = fields.List(fields.String(), metadata={"description": "element ids waiting for people"})


class LinkSchema(Schema):
    token = fields.String(metadata={"description": "single-use: hand it to one villager"})
    kind = fields.String(metadata={"description": "task (a public task) or survey"})
    task_id = fields.String(metadata={"description": "empty for a survey link"})
    task = fields.String(metadata={"description": "the task's name, or the survey's title"})
    expires_at = Instant(allow_none=True)


class DoneSchema(Schema):
    instance_id = fields.Integer()
    instance_title = fields.String()
    instance_status = fields.String()
    kind = fields.String()
    task = fields.String()
    at = Instant()


class StartedSchema(Schema):
    instance_id = fields.Integer()
    title = fields.String()
    status = fields.String()
    outcome = fields.String()
    started_at = Instant()
    updated_at = Instant()
    waiting_at = fields.List(fields.String(), metadata={"description": "names of the tasks it waits at"})


class CopySchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    instance_title = fields.String()
    instance_status = fields.String()
    sender = fields.String(attribute="from", data_key="from")
    note = fields.String()
    at = Instant()
    read = fields.Boolean()


class SigningSchema(Schema):
    task_id = fields.String()
    instance_id = fields.Integer()
    task = fields.String()
    instance_title = fields.String()
    reason = fields.String()
    requested_at = Instant()


class CountsSchema(Schema):
    todo = fields.Integer()
    copies = fields.Integer()
    signing = fields.Integer()
    unread = fields.Integer()


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    instance_id = fields.Integer(allow_none=True)
    instance_title = fields.String()
    task_id = fields.String()
    created_at = Instant()
    read = fields.Boolean()


class UnreadSchema(Schema):
    unread = fields.Integer()


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "notifications newly marked read"})


class MarkReadBody(StrictSchema):
    ids = fields.List(
        fields.Integer(strict=True, validate=ID_RANGE),
        load_default=None,
        validate=validate.Length(max=1000),
        metadata={"description": "omit to mark all of the caller's notifications read"},
    )


class PostQuery(StrictSchema):
    branch_id = fields.Integer(validate=ID_RANGE)
    village_id = fields.Integer(validate=ID_RANGE)
    status = fields.String(
        validate=validate.Length(min=1, max=16), metadata={"description": "active, revoked"}
    )


class InstanceRefSchema(Schema):
    id = fields.Integer()
    process_key = fields.String()
    title = fields.String()
    status = fields.String()
    started_at = Instant()


class PostSchema(Schema):
    id = fields.Integer(required=True)
    plate_no = fields.String(metadata={"description": "ZA-SFG-YYYY-NNNN"})
    badge_no = fields.String(metadata={"description": "ZA-HZ-YYYY-NNNN"})
    title = fields.String()
    category = fields.String()
    status = fields.String()
    member_id = fields.Integer()
    member = fields.String()
    branch_id = fields.Integer()
    branch = fields.String()
    village_id = fields.Integer(allow_none=True)
    village = fields.String()
    established_on = Instant()
    revoked_at = Instant(allow_none=True)
    revoke_reason = fields.String()
    creation_instance_id = fields.Integer(allow_none=True)


class PostDetailSchema(PostSchema):
    instances = fields.List(fields.Nested(InstanceRefSchema))


class StartBody(StrictSchema):
    data = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={"description": "the start form's fields (model_post_creation: nomination.json)"},
    )
