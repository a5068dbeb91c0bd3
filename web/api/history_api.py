"""/api/v1/instances/{id}/history/{n}: a case as it stood after its n-th event, computed by replaying
the log from the first event (the same service as the 历史回放 page), with every event's check."""

from __future__ import annotations

from marshmallow import Schema, fields

from xianfeng.engine.services.audit import timeline
from xianfeng.engine.services.audit.timeline import CaseHistory

from ..context import kernel, require_actor
from .common import ApiBlueprint, Instant, protected

blueprint = ApiBlueprint(
    "history_api", __name__, url_prefix="/api/v1", description="History at any point (replayed)"
)


class TimelineEventSchema(Schema):
    seq = fields.Integer(metadata={"description": "place in the global chain"})
    instance_version = fields.Integer(metadata={"description": "the event's number in the case: {n}"})
    kind = fields.String(metadata={"description": "start, complete, tick, message, return, transfer, …"})
    task_id = fields.String()
    element = fields.String(metadata={"description": "the diagram element the event is about"})
    task_name = fields.String()
    task_name_en = fields.String()
    actor = fields.String(metadata={"description": "account name as logged (system: the timer)"})
    actor_name = fields.String(metadata={"description": "the person's name"})
    role = fields.String()
    business_time = Instant()
    process_version = fields.Integer(allow_none=True)
    bundle_hash = fields.String()
    payload = fields.Raw(metadata={"description": "what the event logged (form data, reason …)"})
    changes_state = fields.Boolean(metadata={"description": "false for verbs (转办, 抄送 …)"})
    replay = fields.String(metadata={"description": "ok, failed, or not_replayed (an earlier one failed)"})
    problem = fields.String(metadata={"description": "why the event failed its hash or replay"})


class OpenTaskSchema(Schema):
    id = fields.String()
    spec_id = fields.String()
    process_id = fields.String()
    name = fields.String()
    name_en = fields.String()
    role = fields.String()
    scope = fields.String(metadata={"description": "the branch of a branch or member task"})
    form = fields.String()
    mi_index = fields.Integer(allow_none=True)
    due_at = Instant(allow_none=True)
    assignee_user_id = fields.Integer(allow_none=True)
    assignee_name = fields.String()
    owner_name = fields.String(metadata={"description": "who delegated it (委派)"})
    delegation_state = fields.String()


class WaitingEventSchema(Schema):
    spec_id = fields.String()
    process_id = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": "timer, message or several (event-based gateway)"})
    due_at = Instant(allow_none=True)
    messages = fields.List(fields.String())
    alternatives = fields.List(fields.String())


class CalledProcessSchema(Schema):
    call_element = fields.String()
    call_name = fields.String()
    process_id = fields.String()
    running = fields.Boolean()
    completed = fields.List(fields.String())
    data = fields.Dict(metadata={"description": "its data where it differs from the caller's"})


class DataFieldSchema(Schema):
    key = fields.String()
    path = fields.String(metadata={"description": "e.g. approval.decision"})
    label = fields.Dict(metadata={"description": "{zh_CN, en} from the form; empty: raw"})
    value = fields.Raw()
    options = fields.Dict(metadata={"description": "value → {zh_CN, en}"})
    source = fields.String()
    changed = fields.Boolean(metadata={"description": "changed by this event"})


class CaseMomentSchema(Schema):
    event = fields.Nested(TimelineEventSchema)
    completed = fields.List(fields.String(), metadata={"description": "element ids that had run"})
    current = fields.List(fields.String(), metadata={"description": "element ids then waiting"})
    open_tasks = fields.List(fields.Nested(OpenTaskSchema), metadata={"description": "the inbox then"})
    waiting = fields.List(fields.Nested(WaitingEventSchema))
    called = fields.List(fields.Nested(CalledProcessSchema))
    data = fields.Dict()
    fields_ = fields.List(fields.Nested(DataFieldSchema), data_key="fields", attribute="fields")
    finished = fields.Boolean()
    end_event = fields.String()
    outcome = fields.String()


class CaseHistorySchema(Schema):
    instance_id = fields.Integer()
    title = fields.String()
    process_key = fields.String()
    status = fields.String()
    position = fields.Integer(metadata={"description": "the chosen event's number"})
    events = fields.List(fields.Nested(TimelineEventSchema))
    moment = fields.Nested(
        CaseMomentSchema,
        allow_none=True,
        metadata={"description": "null when the event or one before it failed to replay"},
    )
    failure = fields.String(metadata={"description": "the first event that failed, and how"})
    processes = fields.List(fields.String(), metadata={"description": "diagrams to show"})


@blueprint.route("/instances/<int:instance_id>/history/<int:position>", methods=["GET"])
@protected(blueprint, 403, 404)
@blueprint.response(200, CaseHistorySchema)
def at(instance_id: int, position: int) -> CaseHistory:
    """The case after its event n: what had run, what waited, the open tasks, the data

    Computed by replaying the log from the first event on the pinned diagrams; each event is
    checked against its hash and its logged state. An event that fails is reported in `events`
    (`replay`, `problem`), and `moment` is null from it on. Readable by the case's branch and the
    town-wide roles.
    """
    return timeline.case_at(kernel(), require_actor(), instance_id, position)
