"""An administrator's interventions in a case: cancel, suspend, resume, retry, migrate (after asking
what the check says), give a task to a person, complete a task on someone's behalf.

Each needs a reason (at least 4 characters once stripped: a shorter one is 422 before anything is
read) and is a chained event of the case naming the administrator; only an administrator may
(403 otherwise). None takes If-Match: the engine locks the case, and a cancellation or migration is
meant to apply to whatever state the case is in now (a migration is refused, naming each step,
when that state cannot move).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from xianfeng.engine.services.admin import interventions, migration
from xianfeng.engine.services.admin.interventions import MIN_REASON, Intervention
from xianfeng.engine.services.admin.migration import MigrationCheck
from xianfeng.engine.services.results import StepOutcome

from ..context import kernel, require_actor
from .common import ApiBlueprint, StrictSchema, protected, query
from .task_schemas import StepOutcomeSchema, form_data

blueprint = ApiBlueprint(
    "interventions_api", __name__, url_prefix="/api/v1", description="Administrators' interventions"
)


def _reason() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=MIN_REASON, max=1000),
        metadata={"description": "why: recorded with the administrator in the case's history"},
    )


def _version() -> fields.Integer:
    return fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "a newer version of the case's process"},
    )


class ReasonBody(StrictSchema):
    reason = _reason()


class MigrateBody(StrictSchema):
    to_version = _version()
    reason = _reason()


class MigrateCheckQuery(StrictSchema):
    to_version = fields.Integer(
        required=True, validate=validate.Range(min=1), metadata={"description": "the version to check"}
    )


class AdminReassignBody(StrictSchema):
    to = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the username of an account holding the task's role in the case's branch"},
    )
    reason = _reason()


class OnBehalfBody(StrictSchema):
    data = form_data()
    reason = _reason()


class InterventionSchema(Schema):
    instance_id = fields.Integer(required=True)
    kind = fields.String(metadata={"description": "cancel, suspend, resume, retry, migrate or reassign"})
    event_seq = fields.Integer(metadata={"description": "the intervention's place in the hash-chained log"})
    task_id = fields.String(metadata={"description": "the task given to a person (reassign)"})


class BlockerSchema(Schema):
    element = fields.String(metadata={"description": "the BPMN element id"})
    reason = fields.String()


class MigrationCheckSchema(Schema):
    allowed = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), metadata={"description": "why not, one line each"})
    blockers = fields.List(fields.Nested(BlockerSchema), metadata={"description": "each blocking element"})


@blueprint.route("/instances/<int:instance_id>/cancel", methods=["POST"])
@protected(blueprint, 403, 404, 422)
@blueprint.arguments(ReasonBody)
@blueprint.response(200, InterventionSchema)
def cancel(body: dict[str, str], instance_id: int) -> Intervention:
    """End the case now: its open tasks end, its links close, its notice comes down"""
    return interventions.cancel(kernel(), require_actor(), instance_id, body["reason"])


@blueprint.route("/instances/<int:instance_id>/suspend", methods=["POST"])
@protected(blueprint, 403, 404, 422)
@blueprint.arguments(ReasonBody)
@blueprint.response(200, InterventionSchema)
def suspend(body: dict[str, str], instance_id: int) -> Intervention:
    """Hold the case: nobody completes its tasks and its timers wait until it is resumed"""
    return interventions.suspend(kernel(), require_actor(), instance_id, body["reason"])


@blueprint.route("/instances/<int:instance_id>/resume", methods=["POST"])
@protected(blueprint, 403, 404, 422)
@blueprint.arguments(ReasonBody)
@blueprint.response(200, InterventionSchema)
def resume(body: dict[str, str], instance_id: int) -> Intervention:
    """Let a suspended case move again"""
    return interventions.resume(kernel(), require_actor(), instance_id, body["reason"])


@blueprint.route("/instances/<int:instance_id>/retry", methods=["POST"])
@protected(blueprint, 403, 404, 422)
@blueprint.arguments(ReasonBody)
@blueprint.response(200, InterventionSchema)
def retry(body: dict[str, str], instance_id: int) -> Intervention:
    """Run the case's overdue step again now (one that kept failing); if it fails again, nothing is stored"""
    return interventions.retry(kernel(), require_actor(), instance_id, body["reason"])


@blueprint.route("/instances/<int:instance_id>/migrate/check", methods=["GET"])
@protected(blueprint, 403, 404, 422)
@query(blueprint, MigrateCheckQuery)
@blueprint.response(200, MigrationCheckSchema)
def migrate_check(args: dict[str, int], instance_id: int) -> MigrationCheck:
    """What a migration to the version would say, moving nothing: allowed, or each blocking element"""
    return migration.check(kernel(), require_actor(), instance_id, args["to_version"])


@blueprint.route("/instances/<int:instance_id>/migrate", methods=["POST"])
@protected(blueprint, 403, 404, 422)
@blueprint.arguments(MigrateBody)
@blueprint.response(200, InterventionSchema)
def migrate(body: dict[str, Any], instance_id: int) -> Intervention:
    """Move the case to a newer version of its process; refused (422 migration_refused) naming each
    element when a step it did or waits at would change"""
    return migration.migrate(kernel(), require_actor(), instance_id, body["to_version"], body["reason"])


@blueprint.route("/tasks/<task_id>/reassign", methods=["POST"])
@protected(blueprint, 403, 404, 422)
@blueprint.arguments(AdminReassignBody)
@blueprint.response(200, InterventionSchema)
def reassign(body: dict[str, Any], task_id: str) -> Intervention:
    """Give the task to one person holding its role in the case's branch"""
    return interventions.reassign(kernel(), require_actor(), task_id, body["to"], body["reason"])


@blueprint.route("/tasks/<task_id>/complete-on-behalf", methods=["POST"])
@protected(blueprint, 403, 404, 409, 422)
@blueprint.arguments(OnBehalfBody)
@blueprint.response(200, StepOutcomeSchema)
def complete_on_behalf(body: dict[str, Any], task_id: str) -> StepOutcome:
    """Complete the task for whoever should have, with data its form accepts (422 form_invalid per
    field); the history names the administrator and the reason"""
    return interventions.complete_on_behalf(kernel(), require_actor(), task_id, body["data"], body["reason"])
