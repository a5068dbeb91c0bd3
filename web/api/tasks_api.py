"""/api/v1/tasks: the caller's to-do list, one task with its form, and completing tasks.

Completing needs `If-Match` with the ETag the task view gave: the engine compares the version in
it with the instance's, so a decision made on a page someone else has since moved on is refused
(409) rather than applied to a case the approver has not seen.
"""

from __future__ import annotations

from typing import Any

from flask import request

from xianfeng.engine.errors import RuleViolation
from xianfeng.engine.services import attachments, inbox_paging, inbox_query, tasks, taskview
from xianfeng.engine.services.results import StepOutcome, TaskSummary
from xianfeng.engine.services.tasks import BatchResult
from xianfeng.engine.services.taskview import TaskView

from ..context import kernel, require_actor
from .common import ApiBlueprint, etag_of, if_match, protected, query
from .paging import PAGE_HEADERS, TodoQuery, as_args, paged
from .task_schemas import (
    BatchCompleteBody,
    BatchReportSchema,
    CompleteBody,
    StepOutcomeSchema,
    TaskSummarySchema,
    TaskViewSchema,
    UploadedSchema,
)

blueprint = ApiBlueprint(
    "tasks_api", __name__, url_prefix="/api/v1/tasks", description="The caller's tasks and completing them"
)

ETAG_HEADER = {
    "ETag": {"description": "the instance state; send it back as If-Match", "schema": {"type": "string"}}
}


@blueprint.route("", methods=["GET"])
@protected(blueprint, 422)
@query(blueprint, TodoQuery)
@blueprint.response(200, TaskSummarySchema(many=True), headers=PAGE_HEADERS)
def list_tasks(args: dict[str, Any]) -> tuple[list[TaskSummary], dict[str, str]]:
    """Tasks the caller may act on now, a page at a time

    Assigned to the caller, or open to the caller's role within their branch; soonest due first
    (tasks without a due time last). Narrow by the case's procedure, the task's branch or overdue.
    `X-Total-Count` counts the whole filtered list; `Link: rel="next"` leads to the next page.
    """
    filters, ask = inbox_query.todo_query(as_args(args), args["limit"])
    return paged(inbox_paging.todo_page(kernel(), require_actor(), filters, ask))


@blueprint.route("/<task_id>", methods=["GET"])
@protected(blueprint, 403, 404)
@blueprint.response(200, TaskViewSchema, headers=ETAG_HEADER)
def show_task(task_id: str) -> tuple[TaskView, dict[str, str]]:
    """One task: its form (JSON Schema and field order), instructions, data and allowed verbs

    Only someone who may act on, sign or give back the task may open it. The ETag names the
    instance state the page shows.
    """
    view = taskview.task_view(kernel(), require_actor(), task_id)
    return view, {"ETag": etag_of(view.instance_id, view.state_version)}


@blueprint.route("/<task_id>/complete", methods=["POST"])
@protected(blueprint, 403, 404, 409, 422, 428)
@if_match(blueprint)
@blueprint.arguments(CompleteBody)
@blueprint.response(200, StepOutcomeSchema)
def complete(condition: dict[str, int], body: dict[str, Any], task_id: str) -> StepOutcome:
    """Complete a task with its form's data

    The data is validated against the task's form (422 names each bad field); the opinion of an
    approval is a field of its form. Answers with the step's outcome and the tasks it opened.
    """
    return tasks.complete(
        kernel(), require_actor(), task_id, body["data"], expected_version=condition["version"]
    )


@blueprint.route("/batch-complete", methods=["POST"])
@protected(blueprint)
@blueprint.arguments(BatchCompleteBody)
@blueprint.response(200, BatchReportSchema)
def batch_complete(body: dict[str, Any]) -> list[BatchResult]:
    """Complete several like tasks with the same data (批量审批)

    Each task is its own step: one refused task does not undo the others, and each result says
    what happened to its task with the code and status it would have had on its own.
    """
    return tasks.complete_many(kernel(), require_actor(), body["task_ids"], body["data"])


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string", "format": "binary"}},
                "description": "one part per file, named by the form's file field (e.g. evidence_files)",
            }
        }
    },
}


@blueprint.route("/<task_id>/attachments", methods=["POST"])
@protected(blueprint, 403, 404, 413, 422)
@blueprint.doc(requestBody=UPLOAD_BODY)
@blueprint.response(201, UploadedSchema)
def upload(task_id: str) -> dict[str, Any]:
    """Upload files for the task's file fields (佐证材料)

    Each file's kind is judged from its bytes and must be one the field accepts (x-accept); a
    refused file refuses the whole upload (422 names the field). Then complete the task with the
    returned sha256 values in that field.
    """
    chosen = {
        name: [attachments.Upload(f.filename or "", f.read()) for f in request.files.getlist(name)]
        for name in request.files
    }
    if request.form or not any(chosen.values()):
        unknown = ", ".join(sorted(request.form))
        raise RuleViolation(
            f"send multipart/form-data with files only{f', not the fields {unknown}' if unknown else ''}"
        )
    return {"files": attachments.upload_for_task(kernel(), require_actor(), task_id, chosen)}
