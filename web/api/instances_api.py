"""/api/v1/processes/{key}/instances and /api/v1/instances/{id}: starting a procedure and reading
one instance — its state, its chained history, its pinned diagrams and its open public links.

Reading is allowed to the instance's branch and to the town-wide roles (committee, admin,
auditor); the engine decides, so the pages, the CLI and the API cannot disagree.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from xianfeng.engine.services import attachments, instances, tasks, taskview, withdraw
from xianfeng.engine.services.results import StepOutcome
from xianfeng.engine.services.taskview import DiagramView

from ..context import kernel, require_actor
from ..pages.attachment_pages import file_response
from .common import ApiBlueprint, StrictSchema, protected
from .read_schemas import DiagramSchema, EventSchema, InstanceSchema, LinkSchema, StartBody
from .task_schemas import StepOutcomeSchema

blueprint = ApiBlueprint("instances_api", __name__, url_prefix="/api/v1", description="Process instances")

LOCATION_HEADER = {"Location": {"description": "/api/v1/instances/{id}", "schema": {"type": "string"}}}


@blueprint.route("/processes/<key>/instances", methods=["POST"])
@protected(blueprint, 403, 404, 422)
@blueprint.arguments(StartBody)
@blueprint.response(201, StepOutcomeSchema, headers=LOCATION_HEADER)
def start(body: dict[str, Any], key: str) -> tuple[StepOutcome, dict[str, str]]:
    """Start an instance of the current version of a procedure

    Only the role of the diagram's start lane may start it (model_post_creation: a branch
    secretary); the data is validated against the start form (422 names each bad field).
    """
    outcome = tasks.start(kernel(), require_actor(), key, body["data"])
    return outcome, {"Location": url_for("instances_api.show", instance_id=outcome.instance_id)}


class WithdrawBody(StrictSchema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=2, max=1000),
        metadata={
            "description": "why the case is taken back: in its history and told to those who held its tasks"
        },
    )


class WithdrawalSchema(Schema):
    instance_id = fields.Integer(required=True)
    event_seq = fields.Integer(metadata={"description": "the withdrawal's place in the hash-chained log"})
    notified = fields.Integer(metadata={"description": "how many people were told"})


@blueprint.route("/instances/<int:instance_id>/withdraw", methods=["POST"])
@protected(blueprint, 403, 404, 422)
@blueprint.arguments(WithdrawBody)
@blueprint.response(200, WithdrawalSchema)
def withdraw_case(body: dict[str, str], instance_id: int) -> withdraw.Withdrawal:
    """撤回: the one who started the case takes it back while nobody else has acted on it

    Only where the diagram allows it (`withdrawable` on its start event); the case ends withdrawn,
    its tasks, links and notice with it. 403 names why not (another's case, someone has acted).
    """
    return withdraw.withdraw(kernel(), require_actor(), instance_id, body["reason"])


@blueprint.route("/instances/<int:instance_id>", methods=["GET"])
@protected(blueprint, 403, 404)
@blueprint.response(200, InstanceSchema)
def show(instance_id: int) -> dict[str, Any]:
    """The instance now: status, ready tasks, timers, data and the pinned process version"""
    return instances.show(kernel(), require_actor(), instance_id)


@blueprint.route("/instances/<int:instance_id>/history", methods=["GET"])
@protected(blueprint, 403, 404)
@blueprint.response(200, EventSchema(many=True))
def history(instance_id: int) -> list[dict[str, Any]]:
    """The instance's events in order, each with its hash and its predecessor's"""
    return instances.history(kernel(), require_actor(), instance_id)


@blueprint.route("/instances/<int:instance_id>/diagram", methods=["GET"])
@protected(blueprint, 403, 404)
@blueprint.response(200, DiagramSchema)
def diagram(instance_id: int) -> DiagramView:
    """The pinned BPMN files with the elements that ran and those that wait (for bpmn-js)"""
    return taskview.diagram_view(kernel(), require_actor(), instance_id)


@blueprint.route("/instances/<int:instance_id>/links", methods=["GET"])
@protected(blueprint, 403, 404)
@blueprint.response(200, LinkSchema(many=True))
def links(instance_id: int) -> list[dict[str, Any]]:
    """Open single-use links of the instance's public tasks, to print or show as QR codes"""
    return instances.links(kernel(), require_actor(), instance_id)


@blueprint.route("/instances/<int:instance_id>/attachments/<sha256>", methods=["GET"])
@protected(blueprint, 403, 404)
@blueprint.doc(
    responses={
        "200": {
            "description": "the file, served with the media type of its kind (image/jpeg, application/pdf …)",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
def attachment(instance_id: int, sha256: str) -> Any:
    """A file the instance's history cites (its uploader may read it before it is cited)"""
    info, content = attachments.fetch(kernel(), require_actor(), instance_id, sha256)
    return file_response(info, content)
