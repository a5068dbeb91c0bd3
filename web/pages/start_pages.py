"""发起: start a procedure with its start form, rendered by the same renderer as task forms."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.errors import FormInvalid
from xianfeng.engine.services import starting, tasks
from xianfeng.engine.services.starting import StartForm

from ..auth import login_required
from ..context import kernel, require_actor
from . import formview, labels
from .task_pages import choices_for

blueprint = Blueprint("start", __name__, url_prefix="/processes/<process_key>")


def _render(
    start: StartForm, values: dict[str, Any] | None = None, error: FormInvalid | None = None
) -> tuple[str, int]:
    if start.form is None:  # nothing to fill in: the page only confirms the start
        return render_template(
            "start.html",
            start=start,
            form_title=labels.process_name(start.name),
            form_description="",
            fields=[],
            general_errors=[],
        ), 200
    by_field, general = formview.messages_of(start.form, error) if error else ({}, [])
    page = render_template(
        "start.html",
        start=start,
        form_title=start.form.title.get(labels.lang(), start.form.name),
        form_description=start.form.description.get(labels.lang(), ""),
        fields=formview.fields_of(
            start.form, values, by_field, choices_for(start.form, require_actor().branch_id)
        ),
        general_errors=general,
    )
    return page, 422 if error else 200


@blueprint.get("/start")
@login_required
def start_form(process_key: str) -> Any:
    return _render(starting.start_form(kernel(), require_actor(), process_key))


@blueprint.post("/start")
@login_required
def start(process_key: str) -> Any:
    form = starting.start_form(kernel(), require_actor(), process_key)
    data = formview.parse(form.form, request.form) if form.form is not None else None
    try:
        outcome = tasks.start(kernel(), require_actor(), process_key, data)
    except FormInvalid as error:
        return _render(form, data, error)
    flash(_("已发起：%(name)s", name=labels.process_name(form.name)), "success")
    return redirect(url_for("instances.show", instance_id=outcome.instance_id))
