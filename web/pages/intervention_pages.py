"""管理员干预 on the case page: cancel (after a confirmation), suspend and resume, migrate to a newer
version (after reading what the check says), give a task to a person, complete it on someone's
behalf through its own form, retry a step that keeps failing; and /admin/stuck, the cases whose due
step keeps failing.

Each POST makes one call to `services.admin.interventions` or `migration` and says what was done.
A refusal changes nothing and comes back on the page it was asked from, with the precise reason
(`intervention_text`) and the error's status.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.errors import FormInvalid, MigrationRefused, NotFound, RuleViolation, XianfengError
from xianfeng.engine.models.org import ROLE_ADMIN
from xianfeng.engine.services.admin import intervention_view, interventions, migration
from xianfeng.engine.services.admin.intervention_view import InterventionPanel, OpenTask

from ..auth import login_required
from ..context import actor as current_actor
from ..context import kernel, require_actor
from ..errors import status_of
from . import formview, instance_pages, intervention_text, labels
from .task_pages import choices_for

blueprint = Blueprint("interventions", __name__)
CASE = "/instances/<int:instance_id>"


@blueprint.app_template_global("intervention_panel")
def intervention_panel(instance_id: int) -> InterventionPanel | None:
    """The panel's contents for an administrator; nobody else sees the panel."""
    actor = current_actor()
    if actor is None or not actor.has(ROLE_ADMIN):
        return None
    return intervention_view.panel(kernel(), actor, instance_id)


@blueprint.app_template_global("intervention_min_reason")
def intervention_min_reason() -> int:
    """The shortest reason the engine takes, for the forms' hints and `minlength`."""
    return interventions.MIN_REASON


def _reason() -> str:
    return request.form.get("reason", "")


def _refused(error: XianfengError, instance_id: int) -> Any:
    """Back to the page the action was asked from, saying why nothing was done."""
    flash(intervention_text.refusal(error), "error")
    if request.form.get("back") == "stuck":
        return _stuck_page(), status_of(error)
    return instance_pages.show(instance_id=instance_id), status_of(error)


def on_the_case_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """A refused action shows its reason on the case page; an unknown case is a plain 404."""

    @functools.wraps(view)
    def wrapped(instance_id: int, **kwargs: Any) -> Any:
        try:
            return view(instance_id=instance_id, **kwargs)
        except XianfengError as error:
            if isinstance(error, NotFound) and error.params.get("instance_id") == instance_id:
                raise
            return _refused(error, instance_id)

    return wrapped


def _done(message: str, instance_id: int) -> Any:
    flash(message, "success")
    if request.form.get("back") == "stuck":
        return redirect(url_for("interventions.stuck"))
    return redirect(url_for("instances.show", instance_id=instance_id) + "#interventions")


@blueprint.post(f"{CASE}/cancel")
@login_required
@on_the_case_page
def cancel(instance_id: int) -> Any:
    """The first press asks for confirmation, saying what a cancellation ends; the second cancels."""
    if request.form.get("confirmed") != "yes":
        panel = intervention_view.panel(kernel(), require_actor(), instance_id)
        reason = interventions.reason_of(_reason())
        ending = [_task_name(t) + (labels.paren(t.assignee) if t.assignee else "") for t in panel.tasks]
        return render_template("interventions/cancel.html", panel=panel, reason=reason, ending=ending)
    interventions.cancel(kernel(), require_actor(), instance_id, _reason())
    return _done(_("已取消该案件：所有待办已结束，群众链接已关闭，公示已撤下"), instance_id)


@blueprint.post(f"{CASE}/suspend")
@login_required
@on_the_case_page
def suspend(instance_id: int) -> Any:
    interventions.suspend(kernel(), require_actor(), instance_id, _reason())
    return _done(_("已暂停该案件：恢复之前无人能办理，定时步骤也不执行"), instance_id)


@blueprint.post(f"{CASE}/resume")
@login_required
@on_the_case_page
def resume(instance_id: int) -> Any:
    interventions.resume(kernel(), require_actor(), instance_id, _reason())
    return _done(_("已恢复该案件"), instance_id)


@blueprint.post(f"{CASE}/retry")
@login_required
@on_the_case_page
def retry(instance_id: int) -> Any:
    interventions.retry(kernel(), require_actor(), instance_id, _reason())
    return _done(_("已重试：到期的步骤已执行"), instance_id)


def _to_version(source: Any) -> int:
    raw = str(source.get("to_version", "")).strip()
    if not raw.isdigit():
        abort(400)
    return int(raw)


def _migration_page(instance_id: int, to_version: int, status: int = 200) -> Any:
    preview = intervention_view.migration_preview(kernel(), require_actor(), instance_id, to_version)
    blocking = [
        (intervention_text.step_name(b), intervention_text.blocker_reason(b.reason)) for b in preview.blocking
    ]
    reasons = [intervention_text.check_reason(preview, reason) for reason in preview.reasons]
    page = render_template("interventions/migrate.html", preview=preview, blocking=blocking, reasons=reasons)
    return page, status


@blueprint.get(f"{CASE}/migrate")
@login_required
@on_the_case_page
def migrate_check(instance_id: int) -> Any:
    """What the migration check says, with each blocking step named, before anything moves."""
    return _migration_page(instance_id, _to_version(request.args))


@blueprint.post(f"{CASE}/migrate")
@login_required
@on_the_case_page
def migrate(instance_id: int) -> Any:
    to_version = _to_version(request.form)
    try:
        migration.migrate(kernel(), require_actor(), instance_id, to_version, _reason())
    except RuleViolation as error:
        if not isinstance(error, MigrationRefused) and error.params.get("field") != "reason":
            raise
        flash(intervention_text.refusal(error), "error")
        return _migration_page(instance_id, to_version, status_of(error))
    return _done(_("已迁移到第 %(version)s 版", version=to_version), instance_id)


@blueprint.post(f"{CASE}/tasks/<task_id>/reassign")
@login_required
@on_the_case_page
def reassign(instance_id: int, task_id: str) -> Any:
    to = request.form.get("to", "").strip()
    intervention_view.open_task(kernel(), require_actor(), instance_id, task_id)  # a task of this case
    interventions.reassign(kernel(), require_actor(), task_id, to, _reason())
    return _done(_("已转交给 %(user)s", user=to), instance_id)


def _task_name(task: OpenTask) -> str:
    return task.name_en if labels.lang() == "en" and task.name_en else task.name


def _on_behalf_page(task: OpenTask, values: dict[str, Any] | None = None, error: Any = None) -> Any:
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    if isinstance(error, FormInvalid) and task.form is not None:
        by_field, general = formview.messages_of(task.form, error)
    elif error is not None:
        general = [intervention_text.refusal(error)]
    fields = (
        formview.fields_of(task.form, values, by_field, choices_for(task.form, task.branch_id))
        if task.form is not None
        else []
    )
    page = render_template(
        "interventions/on_behalf.html",
        task=task,
        task_name=_task_name(task),
        fields=fields,
        general_errors=general,
        reason=_reason(),
    )
    return page, status_of(error) if error is not None else 200


@blueprint.get(f"{CASE}/tasks/<task_id>/on-behalf")
@login_required
@on_the_case_page
def on_behalf_form(instance_id: int, task_id: str) -> Any:
    return _on_behalf_page(intervention_view.open_task(kernel(), require_actor(), instance_id, task_id))


@blueprint.post(f"{CASE}/tasks/<task_id>/on-behalf")
@login_required
@on_the_case_page
def on_behalf(instance_id: int, task_id: str) -> Any:
    """A form or reason the engine refuses comes back with what was entered and each message."""
    task = intervention_view.open_task(kernel(), require_actor(), instance_id, task_id)
    data = formview.parse(task.form, request.form) if task.form is not None else {}
    try:
        interventions.complete_on_behalf(kernel(), require_actor(), task_id, data, _reason())
    except (FormInvalid, RuleViolation) as error:
        return _on_behalf_page(task, data, error)
    return _done(_("已代为办理：%(task)s", task=_task_name(task)), instance_id)


def _stuck_page() -> str:
    cases = intervention_view.stuck_steps(kernel(), require_actor())
    minutes = int(interventions.STUCK_AFTER.total_seconds() // 60)
    return render_template("interventions/stuck.html", cases=cases, minutes=minutes)


@blueprint.get("/admin/stuck")
@login_required
def stuck() -> Any:
    """Cases whose due step has not run for long: it keeps failing, and an administrator looks."""
    return _stuck_page()
