"""The task page: instructions, the data so far, the form, the approver verbs, history and diagram.

GET composes reads (the task view, the instance's history); POST parses the form by the task's
schema and makes one writing call, `tasks.complete`. A form the validator refuses comes back with
the entered values and each field's message (422); everything else goes to `web/errors.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.errors import FormInvalid, NotAllowed
from xianfeng.engine.services import attachments, case_history, options, people, tasks, taskview
from xianfeng.engine.services.taskview import TaskView
from xianfeng.forms import FormDefinition

from ..auth import login_required
from ..context import kernel, require_actor
from . import formview, history_text, labels, presenters
from .attachment_pages import chosen_files
from .case_text import outcome_words
from .people_pages import described

blueprint = Blueprint("tasks", __name__)
T = TypeVar("T")
PICKER_FIRST = 50  # people a picker lists before anyone types


def readable(read: Callable[[], T]) -> T | None:
    """A section the actor may not read (a co-signer from another branch reading the history) is
    left out of the page instead of refusing the whole page."""
    try:
        return read()
    except NotAllowed:
        return None


def expected_version() -> int:
    """The instance version the page was rendered at; a form without it is malformed (400)."""
    raw = request.form.get("expected_version", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)


def choices_for(form: FormDefinition, branch_id: int | None) -> dict[str, list[tuple[int, str]]]:
    """Options of the form's organisation-backed fields (`x-source`) within a branch; a source
    without options is left out, so its field falls back to typing the number."""
    found = {name: options.choices(kernel(), name, branch_id) for name in set(form.source_fields().values())}
    return {name: offered for name, offered in found.items() if offered}


def task_name(view: TaskView) -> str:
    return view.name_en if labels.lang() == "en" and view.name_en else view.name


def file_link(instance_id: int) -> Callable[[str], str]:
    return lambda sha: url_for("attachments.download", instance_id=instance_id, sha256=sha)


def render_task(
    view: TaskView, values: dict[str, Any] | None = None, error: FormInvalid | None = None
) -> tuple[str, int]:
    by_field, general = formview.messages_of(view.form, error) if error else ({}, [])
    history = readable(lambda: case_history.case_history(kernel(), require_actor(), view.instance_id))
    files = attachments.describe_readable(
        kernel(),
        require_actor(),
        view.instance_id,
        [
            *formview.file_hashes(view.form, values if values is not None else view.prefill.values),
            *presenters.hashes_in(view.data),
        ],
    )
    page = render_template(
        "task.html",
        view=view,
        pickers=pickers_for(view),
        task_name=task_name(view),
        # The actor's branch is the task's for branch and member tasks; town-wide roles type numbers.
        # A first look opens with what the form's hints and the last submission give (a return).
        fields=formview.fields_of(
            view.form,
            values if values is not None else view.prefill.values,
            by_field,
            choices_for(view.form, require_actor().branch_id),
            files,
            file_link(view.instance_id),
            view.prefill.readonly,
        ),
        returned=view.prefill.returned,
        has_files=any(prop.get("x-widget") == "file" for prop in view.form.schema["properties"].values()),
        form_title=view.form.title.get(labels.lang(), view.form.name),
        general_errors=general,
        data_rows=presenters.data_rows(view.fields, view.data),
        data_files=presenters.files_in(view.data, files, file_link(view.instance_id)),
        raw_data=presenters.raw_json(view.data),
        history=history_text.history_rows(history) if history is not None else None,
        processes=[view.process_id],
    )
    return page, 422 if error else 200


def pickers_for(view: TaskView) -> dict[str, list[dict[str, Any]]]:
    """The people each offered picker lists before anyone types (its search finds the rest)."""
    wanted = [verb for verb in view.verbs if verb in people.PICKER_VERBS]
    return {
        verb: [
            described(p)
            for p in people.search(kernel(), require_actor(), verb, "", task_id=view.id, most=PICKER_FIRST)
        ]
        for verb in wanted
    }


def _store_uploads(view: TaskView) -> dict[str, list[str]]:
    """Files chosen in the form's file fields, stored before the completion (their own unit of
    work), so that a form refused for another field keeps them; by field, their hashes."""
    stored = attachments.upload_for_task(kernel(), require_actor(), view.id, chosen_files())
    return {name: [info.sha256 for info in infos] for name, infos in stored.items()}


@blueprint.get("/tasks/<task_id>")
@login_required
def show(task_id: str) -> Any:
    return render_task(taskview.task_view(kernel(), require_actor(), task_id))


@blueprint.post("/tasks/<task_id>")
@login_required
def submit(task_id: str) -> Any:
    version = expected_version()
    view = taskview.task_view(kernel(), require_actor(), task_id)
    try:
        uploaded = _store_uploads(view)
    except FormInvalid as error:
        return render_task(view, formview.parse(view.form, request.form), error)
    data = formview.parse(view.form, request.form, uploaded)
    try:
        outcome = tasks.complete(kernel(), require_actor(), task_id, data, expected_version=version)
    except FormInvalid as error:
        return render_task(view, data, error)
    flash(_("已提交：%(task)s", task=task_name(view)), "success")
    if outcome.status == "completed":
        ended = outcome_words(outcome.outcome, outcome.outcome_name, outcome.outcome_name_en)
        flash(_("流程已办结：%(outcome)s", outcome=ended), "success")
    return redirect(url_for("inbox.todo"))
