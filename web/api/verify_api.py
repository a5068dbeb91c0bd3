"""/api/v1/verify-runs: start verify in the background (the whole chain or chosen cases) and read
its progress and, once done, its report — the same service as the 数据核验 pages.

The auditor and the committee verify anything; a branch its own cases, and the report it reads
holds its own cases only (`hidden` counts the rest). Another whole-chain run, or another run of
the same person, still going is refused (422, `verify_run_busy`, naming the run).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from xianfeng.engine.services.audit import verify_runs
from xianfeng.engine.services.audit.verify_runs import RunView

from ..context import kernel, require_actor
from .common import ID_RANGE, ApiBlueprint, Instant, StrictSchema, protected

blueprint = ApiBlueprint(
    "verify_api", __name__, url_prefix="/api/v1", description="Verify runs (数据核验) in the background"
)
LOCATION_HEADER = {"Location": {"description": "/api/v1/verify-runs/{id}", "schema": {"type": "string"}}}


class VerifyRunBody(StrictSchema):
    instances = fields.List(
        fields.Integer(strict=True, validate=ID_RANGE),
        validate=validate.Length(min=1, max=verify_runs.MAX_CASES),
        metadata={
            "description": "case numbers to replay; left out: every case (a branch: every case of its own). "
            "The chain and the chained tables are always checked whole."
        },
    )


class VerifyRunSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(
        metadata={"description": "queued, running, done, failed, or interrupted (its process died)"}
    )
    requested_by = fields.String(attribute="requester", metadata={"description": "who started it"})
    scope = fields.List(fields.Integer(), allow_none=True, metadata={"description": "null: the whole chain"})
    events_total = fields.Integer(metadata={"description": "the chain's events plus the events replayed"})
    events_done = fields.Integer()
    percent = fields.Integer()
    events_per_second = fields.Float(allow_none=True)
    started_at = Instant()
    updated_at = Instant()
    finished_at = Instant(allow_none=True)
    ok = fields.Boolean(allow_none=True, metadata={"description": "the verdict, once done"})
    head_seq = fields.Integer(allow_none=True)
    head_hash = fields.String()
    error = fields.String(metadata={"description": "why a failed run failed"})
    report = fields.Method(
        "_report",
        allow_none=True,
        metadata={
            "description": "once done: summary, head, cases (each ok or its first divergence), findings "
            "(table, key, column, expected, stored, seq, case) and chain problems"
        },
    )

    def _report(self, run: RunView) -> dict[str, Any] | None:
        return run.report if run.status == "done" else None


@blueprint.route("/verify-runs", methods=["POST"])
@protected(blueprint, 403, 422)
@blueprint.arguments(VerifyRunBody)
@blueprint.response(202, VerifyRunSchema, headers=LOCATION_HEADER)
def start(body: dict[str, Any]) -> tuple[RunView, dict[str, str]]:
    """Start a verify run in the background

    Auditors and the committee: the whole chain or any cases; a branch: its own cases only (403
    naming the others). Unknown case numbers are refused naming them (422). Poll the Location.
    """
    run = verify_runs.started(kernel(), require_actor(), body.get("instances"))
    return run, {"Location": url_for("verify_api.show", run_id=run.id)}


@blueprint.route("/verify-runs/<int:run_id>", methods=["GET"])
@protected(blueprint, 403, 404)
@blueprint.response(200, VerifyRunSchema)
def show(run_id: int) -> RunView:
    """A verify run: its progress while it runs, its report once done"""
    return verify_runs.get(kernel(), require_actor(), run_id)
