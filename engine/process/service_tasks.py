"""The whitelist of effects a diagram may call from a service task.

A diagram names an operation (`<spiffworkflow:serviceTaskOperator id="establish_post">`) and passes
parameters as expressions; deployment refuses any other operation name. Each operation writes
through the step's own session, so its rows commit or roll back with the step, and returns
JSON-native data that lands in the task data under the operator's `resultVariable`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ServiceTaskError
from .operations import areas, cases, creation, evaluation, notify, posts, surveys
from .operations.context import ServiceContext

__all__ = ["SERVICE_TASKS", "ServiceContext", "ServiceOperation", "run_operation"]


@dataclass(frozen=True)
class ServiceOperation:
    run: Callable[..., dict[str, Any]]
    params: tuple[str, ...]
    summary: str


def _op(run: Callable[..., dict[str, Any]], summary: str, *params: str) -> ServiceOperation:
    return ServiceOperation(run, params, summary)


SERVICE_TASKS: dict[str, ServiceOperation] = {
    "describe_candidate": _op(creation.describe_candidate, "resolve and check a nominee", "member_id"),
    "publish_notice": _op(
        creation.publish_notice,
        "publish a 公示 on the notice board",
        "title",
        "body",
        "working_days",
        "ends_at",
    ),
    "close_notice": _op(creation.close_notice, "end a 公示 with its outcome", "notice_id", "outcome"),
    "answer_objection": _op(
        creation.answer_objection,
        "record the answer to an objection",
        "objection_id",
        "upheld",
        "finding",
        "answer",
    ),
    "establish_post": _op(
        creation.establish_post,
        "register a model post, issue plate and badge numbered in the given formats",
        "member_id",
        "title",
        "category",
        "pledge",
        "service_domains",
        "duties",
        "plate_format",
        "badge_format",
    ),
    "member_standing": _op(
        evaluation.member_standing,
        "a member's active posts and other running cases naming them in a start field",
        "member_id",
        "start_field",
    ),
    "tally_answers": _op(
        evaluation.tally_answers, "count the answers given to user tasks, with their sums", "tasks"
    ),
    "refuse": _op(cases.refuse, "refuse the step for the diagram's reason (nothing is kept)", "reason"),
    "notify_case": _op(
        cases.notify_case,
        "tell the case's starter and the members it concerns how it went",
        "member_ids",
        "title",
        "body",
    ),
    "end_dependents": _op(
        cases.end_dependents,
        "send a message to the running cases that depend on a post",
        "post_id",
        "message",
        "reason",
    ),
    "end_open_rectifications": _op(
        posts.end_open_rectifications, "end the case's open rectifications unfinished"
    ),
    "open_survey": _op(
        surveys.open_survey,
        "open a public satisfaction survey with single-use links",
        "title",
        "links",
        "closes_at",
        "form",
    ),
    "close_survey": _op(surveys.close_survey, "close a survey and count its answers", "survey_id"),
    "describe_post": _op(posts.describe_post, "look up an active model post", "post_id"),
    "record_assessment": _op(
        posts.record_assessment,
        "record an assessment cycle's result",
        "post_id",
        "score",
        "satisfaction",
        "responses",
        "outcome",
        "basis",
        "merit",
    ),
    "record_reward": _op(
        posts.record_reward,
        "record a reward and its ledger merit",
        "member_id",
        "spiritual",
        "material",
        "amount",
        "post_id",
        "area_id",
    ),
    "open_rectification": _op(
        posts.open_rectification,
        "record a rectification with its deadline",
        "member_id",
        "problems",
        "due_at",
        "post_id",
        "area_id",
    ),
    "close_rectification": _op(
        posts.close_rectification, "close a rectification as passed or failed", "rectification_id", "result"
    ),
    "revoke_post": _op(
        posts.revoke_post,
        "revoke a post's title and block the given year's commendation",
        "post_id",
        "reason",
        "year",
    ),
    "record_plate_returned": _op(
        posts.record_plate_returned, "record that the nameplate was taken back", "post_id", "returned_on"
    ),
    "notify_branch": _op(notify.notify_branch, "notify the branch secretaries", "title", "body"),
    "notify_member": _op(notify.notify_member, "notify a member", "member_id", "title", "body"),
    "add_area_draft": _op(
        areas.add_area_draft,
        "draft one responsibility area of a division",
        "village_id",
        "name",
        "description",
        "member_ids",
        "lead_member_id",
        "scope",
        "tasks",
    ),
    "check_division_coverage": _op(
        areas.check_division_coverage, "refuse a division leaving a village uncovered"
    ),
    "activate_areas": _op(areas.activate_areas, "activate an approved division, retiring the previous one"),
    "discard_drafts": _op(areas.discard_drafts, "discard the drafts of a division not approved"),
    "describe_area": _op(areas.describe_area, "look up an active responsibility area", "area_id"),
    "apply_area_grades": _op(
        areas.apply_area_grades,
        "reward strong and record criticism of weak members",
        "area_id",
        "grades",
        "members",
    ),
    "record_follow_ups": _op(
        areas.record_follow_ups, "record the follow-up of criticisms", "follow_ups", "weak"
    ),
    "reassign_member": _op(
        areas.reassign_member,
        "take a member out of their area, keeping it staffed",
        "member_id",
        "reason",
        "note",
        "replacement_member_id",
    ),
}


def run_operation(ctx: ServiceContext, name: str, params: dict[str, Any]) -> dict[str, Any]:
    operation = SERVICE_TASKS.get(name)
    if operation is None:
        raise ServiceTaskError(f"service task operation {name!r} is not whitelisted")
    missing = [p for p in operation.params if p not in params]
    extra = [p for p in params if p not in operation.params]
    if missing or extra:
        raise ServiceTaskError(f"operation {name}: missing parameters {missing}, unexpected {extra}")
    return operation.run(ctx, **params)
