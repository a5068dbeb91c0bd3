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

from sqlalchemy.orm import Session

from ..errors import ServiceTaskError
from .operations import (
    area_changes,
    area_reviews,
    areas,
    cases,
    commendation,
    comments,
    creation,
    evaluation,
    notify,
    posts,
    surveys,
)
from .operations.context import ServiceContext

__all__ = ["SERVICE_TASKS", "ServiceContext", "ServiceOperation", "run_operation"]


# Several cases' calls of one read-only operation, run together: their results, in order.
Many = Callable[[Session, list[tuple[int, dict[str, Any]]]], list[dict[str, Any]]]


@dataclass(frozen=True)
class ServiceOperation:
    run: Callable[..., dict[str, Any]]
    params: tuple[str, ...]
    summary: str
    # For an operation that writes nothing and reads only what no timer's or message's step writes:
    # the calls of a tick batch's cases, done again in one statement (`service_calls.read_together`).
    many: Many | None = None


def _op(
    run: Callable[..., dict[str, Any]], summary: str, *params: str, many: Many | None = None
) -> ServiceOperation:
    return ServiceOperation(run, params, summary, many)


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
        evaluation.tally_answers,
        "count the answers given to user tasks, with their sums",
        "tasks",
        many=evaluation.tally_answers_of_cases,  # answers are completions: no tick writes one
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
    "describe_team": _op(
        areas.describe_team,
        "the team of an area being drafted, with abilities and areas held",
        "village_id",
        "member_ids",
        "lead_member_id",
    ),
    "add_area_draft": _op(
        areas.add_area_draft,
        "draft one responsibility area with each member's scope and tasks",
        "village_id",
        "name",
        "description",
        "lead_member_id",
        "duties",
    ),
    "division_gaps": _op(areas.division_gaps, "villages without an area and members without a place"),
    "exempt_members": _op(
        areas.exempt_members, "exempt members from the division with a reason", "member_ids", "reason"
    ),
    "revise_division": _op(
        areas.revise_division,
        "remove the drafts of villages to redraw and exemptions taken back",
        "village_ids",
        "member_ids",
    ),
    "activate_areas": _op(areas.activate_areas, "activate an approved division, retiring the previous one"),
    "discard_drafts": _op(areas.discard_drafts, "discard the drafts of a division not approved"),
    "describe_area": _op(area_reviews.describe_area, "look up an active responsibility area", "area_id"),
    "summarise_area_work": _op(
        area_reviews.summarise_area_work, "the work done in an area since its last disclosure", "area_id"
    ),
    "record_disclosure": _op(
        area_reviews.record_disclosure,
        "put a review's disclosure into the public archive",
        "area_id",
        "period",
        "satisfaction",
        "responses",
        "grades",
        "work",
        "summary",
    ),
    "close_disclosure": _op(
        area_reviews.close_disclosure,
        "end a disclosure's notice: published or withdrawn",
        "disclosure_id",
        "outcome",
        "note",
    ),
    "apply_area_grades": _op(
        area_reviews.apply_area_grades,
        "reward, mark merits and record criticisms as the consequences say",
        "area_id",
        "graded",
        "consequences",
    ),
    "record_follow_ups": _op(
        area_reviews.record_follow_ups, "record the follow-up of criticisms", "follow_ups", "weak"
    ),
    "describe_reassignment": _op(
        area_changes.describe_reassignment,
        "the area a member leaves, who stays and the replacement",
        "member_id",
        "replacement_member_id",
    ),
    "reassign_member": _op(
        area_changes.reassign_member,
        "take a member out of their area, with the replacement and the lead chosen",
        "member_id",
        "reason",
        "note",
        "replacement_member_id",
        "lead_member_id",
    ),
    "ledger_standing": _op(
        commendation.ledger_standing, "a member's merits and blocks of a year", "member_id", "year"
    ),
    "list_for_commendation": _op(
        commendation.list_for_commendation,
        "list a member for a year's commendation",
        "member_id",
        "year",
        "note",
    ),
    "register_comment": _op(
        comments.register_comment,
        "register a villager's comment with its receipt number",
        "kind",
        "text",
        "contact",
        "post_id",
        "area_id",
    ),
    "answer_comment": _op(
        comments.answer_comment, "record the branch's answer to a comment", "comment_id", "answer"
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
