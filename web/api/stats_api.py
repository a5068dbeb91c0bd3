"""/api/v1/stats: the statistics page's figures as JSON (codes as stored, with their names in the
caller's language), for the committee (the town, or one branch) and for a branch (its own)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from xianfeng.engine.services import stats
from xianfeng.engine.services.stats import StatsQuery

from ..context import kernel, require_actor
from ..pages import stats_view
from .common import ApiBlueprint, Instant, StrictSchema, protected, query

blueprint = ApiBlueprint(
    "stats_api", __name__, url_prefix="/api/v1/stats", description="Statistics (统计分析)"
)


class StatsArgs(StrictSchema):
    branch_id = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "one branch (the committee's choice)"},
    )
    year = fields.Integer(
        validate=validate.Range(min=stats.FIRST_YEAR, max=stats.LAST_YEAR),
        metadata={"description": "records, rewards, criticisms and step times of this year only"},
    )


class BranchSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class PostCountSchema(Schema):
    branch_id = fields.Integer(required=True)
    category = fields.String(required=True, metadata={"description": "the nomination form's category code"})
    status = fields.String(required=True, metadata={"description": "active, revoked"})
    count = fields.Integer(required=True)


class AssessmentCountSchema(Schema):
    year = fields.Integer(required=True)
    outcome = fields.String(
        required=True,
        metadata={
            "description": "an outcome code the assessment diagram declares (values.* on its start event)"
        },
    )
    count = fields.Integer(required=True)


class CycleSchema(Schema):
    year = fields.Integer(required=True)
    assessments = fields.Integer(required=True)
    responses = fields.Integer(required=True, metadata={"description": "survey answers counted"})
    satisfaction = fields.Float(required=True, metadata={"description": "mean satisfaction rate, %"})
    score = fields.Float(required=True, metadata={"description": "mean assessment score"})


class BranchTasksSchema(Schema):
    branch_id = fields.Integer(allow_none=True, required=True)
    open = fields.Integer(required=True)
    overdue = fields.Integer(required=True)


class StepSchema(Schema):
    process_key = fields.String(required=True)
    process = fields.String(required=True)
    spec_id = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)
    done = fields.Integer(required=True)
    average_days = fields.Float(required=True, metadata={"description": "working days, China's calendar"})
    longest_days = fields.Integer(required=True)
    late = fields.Integer(required=True, metadata={"description": "done after their due time"})


class RecordCountSchema(Schema):
    kind = fields.String(required=True)
    domain = fields.String(
        required=True, metadata={"description": "service domain code; empty for political duties"}
    )
    count = fields.Integer(required=True)


class RewardCountSchema(Schema):
    branch_id = fields.Integer(required=True)
    rewards = fields.Integer(required=True)
    amount = fields.Float(required=True, metadata={"description": "yuan"})
    criticisms = fields.Integer(required=True)


class TableSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    headers = fields.List(fields.String(), required=True)
    rows = fields.List(fields.List(fields.Raw()), required=True)


class StatsSchema(Schema):
    branch_id = fields.Integer(
        allow_none=True, required=True, metadata={"description": "null: the whole town"}
    )
    year = fields.Integer(allow_none=True, required=True)
    generated_at = Instant(required=True)
    steps_through_seq = fields.Integer(
        required=True, metadata={"description": "step times include the log up to here"}
    )
    branches = fields.List(fields.Nested(BranchSchema), required=True)
    posts = fields.List(fields.Nested(PostCountSchema), required=True)
    assessments = fields.List(fields.Nested(AssessmentCountSchema), required=True)
    satisfaction = fields.List(fields.Nested(CycleSchema), required=True)
    tasks = fields.List(fields.Nested(BranchTasksSchema), required=True)
    steps = fields.List(fields.Nested(StepSchema), required=True)
    records = fields.List(fields.Nested(RecordCountSchema), required=True)
    rewards = fields.List(fields.Nested(RewardCountSchema), required=True)
    tables = fields.List(
        fields.Nested(TableSchema),
        required=True,
        metadata={"description": "the same figures as the page's tables, named in the caller's language"},
    )


@blueprint.route("", methods=["GET"])
@protected(blueprint, 403, 404, 422)
@query(blueprint, StatsArgs)
@blueprint.response(200, StatsSchema)
def show_stats(args: dict[str, Any]) -> dict[str, Any]:
    """The figures of the statistics page: posts, assessments and satisfaction per cycle, open and
    overdue tasks, working days per step, work records by service domain, rewards and criticisms"""
    figures = stats.figures(kernel(), require_actor(), StatsQuery(**args))
    tables, _charts = stats_view.view(figures)
    return {
        **figures.__dict__,
        "branches": [{"id": i, "name": n} for i, n in figures.branches.items()],
        "tables": [t.__dict__ for t in tables],
    }
