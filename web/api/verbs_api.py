"""Approver verbs besides completing: 退回 return, 转办 transfer, 委派 delegate (and give back),
加签 co-signers (and sign), 催办 urge, 抄送 copy.

Every verb is its own endpoint with its own body, so a missing reason is a 422 naming the field
before anything is written. Only 退回 moves the workflow, so only it takes If-Match; the others
change who acts or who is told, and do not make an open form stale.
"""

from __future__ import annotations

from typing import Any

from xianfeng.engine.services import verbs
from xianfeng.engine.services.results import StepOutcome
from xianfeng.engine.services.verbs import VerbResult

from ..context import kernel, require_actor
from .common import ApiBlueprint, if_match, protected
from .task_schemas import (
    CopyBody,
    OpinionBody,
    ReassignBody,
    ReturnBody,
    SignersBody,
    StepOutcomeSchema,
    UrgeBody,
    VerbResultSchema,
)

blueprint = ApiBlueprint("verbs_api", __name__, url_prefix="/api/v1", description="Approver verbs")


@blueprint.route("/tasks/<task_id>/return", methods=["POST"])
@protected(blueprint, 403, 404, 409, 422, 428)
@if_match(blueprint)
@blueprint.arguments(ReturnBody)
@blueprint.response(200, StepOutcomeSchema)
def return_task(condition: dict[str, int], body: dict[str, Any], task_id: str) -> StepOutcome:
    """退回: send the case back to an earlier step the diagram allows (the task's return_targets)"""
    return verbs.return_to(
        kernel(),
        require_actor(),
        task_id,
        body["target"],
        body["reason"],
        expected_version=condition["version"],
    )


@blueprint.route("/tasks/<task_id>/transfer", methods=["POST"])
@protected(blueprint, 403, 404, 409, 422)
@blueprint.arguments(ReassignBody)
@blueprint.response(200, VerbResultSchema)
def transfer(body: dict[str, Any], task_id: str) -> VerbResult:
    """转办: hand the task to another person holding its role within its branch"""
    return verbs.transfer(kernel(), require_actor(), task_id, body["chosen"], body["reason"])


@blueprint.route("/tasks/<task_id>/delegate", methods=["POST"])
@protected(blueprint, 403, 404, 409, 422)
@blueprint.arguments(ReassignBody)
@blueprint.response(200, VerbResultSchema)
def delegate(body: dict[str, Any], task_id: str) -> VerbResult:
    """委派: ask someone in the task's branch to handle it; it comes back to the caller to complete"""
    return verbs.delegate(kernel(), require_actor(), task_id, body["chosen"], body["reason"])


@blueprint.route("/tasks/<task_id>/resolve", methods=["POST"])
@protected(blueprint, 403, 404, 409, 422)
@blueprint.arguments(OpinionBody)
@blueprint.response(200, VerbResultSchema)
def resolve(body: dict[str, Any], task_id: str) -> VerbResult:
    """The delegate gives the task back to its owner with an opinion"""
    return verbs.resolve_delegation(kernel(), require_actor(), task_id, body["opinion"])


@blueprint.route("/tasks/<task_id>/signers", methods=["POST"])
@protected(blueprint, 403, 404, 409, 422)
@blueprint.arguments(SignersBody)
@blueprint.response(200, VerbResultSchema)
def add_signers(body: dict[str, Any], task_id: str) -> VerbResult:
    """加签: the task cannot be completed until each person added has signed with an opinion"""
    return verbs.add_signers(kernel(), require_actor(), task_id, body["chosen"], body["reason"])


@blueprint.route("/tasks/<task_id>/sign", methods=["POST"])
@protected(blueprint, 403, 404, 409, 422)
@blueprint.arguments(OpinionBody)
@blueprint.response(200, VerbResultSchema)
def sign(body: dict[str, Any], task_id: str) -> VerbResult:
    """A co-signer records their opinion; the approver who asked is told"""
    return verbs.sign(kernel(), require_actor(), task_id, body["opinion"])


@blueprint.route("/tasks/<task_id>/urge", methods=["POST"])
@protected(blueprint, 403, 404, 409, 422)
@blueprint.arguments(UrgeBody)
@blueprint.response(200, VerbResultSchema)
def urge(body: dict[str, Any], task_id: str) -> VerbResult:
    """催办: remind whoever must act (the starter, the branch or the committee; once an hour)"""
    return verbs.urge(kernel(), require_actor(), task_id, body["note"])


@blueprint.route("/instances/<int:instance_id>/copies", methods=["POST"])
@protected(blueprint, 403, 404, 422)
@blueprint.arguments(CopyBody)
@blueprint.response(200, VerbResultSchema)
def copy(body: dict[str, Any], instance_id: int) -> VerbResult:
    """抄送: let people follow the instance (抄送我的) and notify them"""
    return verbs.copy_to(
        kernel(), require_actor(), instance_id, body["chosen"], body["note"], task_id=body["task_id"]
    )
