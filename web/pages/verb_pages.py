"""Approver verbs as small POST forms: 退回, 转办, 委派, 交还, 加签, 签署, 抄送, 催办.

Each view reads its fields, makes one call to `xianfeng.engine.services.verbs`, flashes what was
done and redirects: to the inbox when the task has left the actor's hands, back to the task or
the instance otherwise. Whether the verb is allowed, and whether a reason is long enough, is the
service's decision; its typed errors become pages in `web/errors.py`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.services import verbs

from ..auth import login_required
from ..context import kernel, require_actor
from . import labels
from .formview import split_list
from .task_pages import expected_version

blueprint = Blueprint("verbs", __name__, url_prefix="/tasks/<task_id>")


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


def _person() -> int | str:
    """The one person chosen in the picker (an account id); a typed account name is still taken."""
    raw = request.form.get("person", "").strip()
    return int(raw) if raw.isdigit() else _text("username")


def _people() -> list[int | str]:
    """The people chosen in the picker (account ids), or typed account names."""
    chosen: list[int | str] = [int(v) for v in request.form.getlist("person") if v.strip().isdigit()]
    return chosen or list(split_list(request.form.get("usernames", "")))


def _to(result: verbs.VerbResult) -> str:
    return labels.joined(result.people, enumeration=True)


def _done(message: str, target: str) -> Any:
    flash(message, "success")
    return redirect(target)


@blueprint.post("/return")
@login_required
def return_to(task_id: str) -> Any:
    version = expected_version()
    verbs.return_to(kernel(), require_actor(), task_id, _text("target"), _text("reason"), version)
    return _done(_("已退回"), url_for("inbox.todo"))


@blueprint.post("/transfer")
@login_required
def transfer(task_id: str) -> Any:
    result = verbs.transfer(kernel(), require_actor(), task_id, _person(), _text("reason"))
    return _done(_("已转办给 %(user)s", user=_to(result)), url_for("inbox.todo"))


@blueprint.post("/delegate")
@login_required
def delegate(task_id: str) -> Any:
    result = verbs.delegate(kernel(), require_actor(), task_id, _person(), _text("reason"))
    return _done(_("已委派给 %(user)s，办理后将交还给您", user=_to(result)), url_for("inbox.todo"))


@blueprint.post("/resolve")
@login_required
def resolve(task_id: str) -> Any:
    verbs.resolve_delegation(kernel(), require_actor(), task_id, _text("opinion"))
    return _done(_("已交还委派人"), url_for("inbox.todo"))


@blueprint.post("/signers")
@login_required
def add_signers(task_id: str) -> Any:
    verbs.add_signers(kernel(), require_actor(), task_id, _people(), _text("reason"))
    return _done(_("已加签，待加签人签署后方可办理"), url_for("tasks.show", task_id=task_id))


@blueprint.post("/sign")
@login_required
def sign(task_id: str) -> Any:
    verbs.sign(kernel(), require_actor(), task_id, _text("opinion"))
    return _done(_("已签署"), url_for("inbox.signing"))


@blueprint.post("/copy")
@login_required
def copy_to(task_id: str) -> Any:
    instance_id = request.form.get("instance_id", "")
    if not instance_id.isdigit():
        abort(400)
    verbs.copy_to(kernel(), require_actor(), int(instance_id), _people(), _text("note"), task_id=task_id)
    return _done(_("已抄送"), url_for("tasks.show", task_id=task_id))


@blueprint.post("/urge")
@login_required
def urge(task_id: str) -> Any:
    result = verbs.urge(kernel(), require_actor(), task_id, _text("note"))
    if request.form.get("back") == "instance":
        return _done(_("已催办"), url_for("instances.show", instance_id=result.instance_id))
    return _done(_("已催办"), url_for("tasks.show", task_id=task_id))
