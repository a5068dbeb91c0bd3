"""An instance: where it stands, its history, its diagram, and its open links for villagers."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.actor import Actor
from xianfeng.engine.models.org import ROLE_BRANCH, ROLE_COMMITTEE, ROLE_PUBLIC
from xianfeng.engine.services import attachments, instances, taskview, verbs

from ..auth import login_required
from ..context import kernel, require_actor
from . import presenters
from .case_text import outcome_words
from .formview import split_list
from .task_pages import file_link, readable

blueprint = Blueprint("instances", __name__, url_prefix="/instances/<int:instance_id>")
_PROCESS_ID = re.compile(r"<(?:\w+:)?process\b[^>]*\bid=\"([^\"]+)\"")


def may_urge(actor: Actor) -> bool:
    """Whether to offer 催办 buttons; the service decides whether an urge is allowed."""
    return actor.has(ROLE_BRANCH) or actor.has(ROLE_COMMITTEE)


@blueprint.get("")
@login_required
def show(instance_id: int) -> Any:
    actor = require_actor()
    state = instances.show(kernel(), actor, instance_id)
    history = instances.history(kernel(), actor, instance_id)
    # Links are capabilities: `instances.links` refuses those who do not hand them out.
    links = readable(lambda: instances.links(kernel(), actor, instance_id))
    public = Counter(t["name"] for t in state["ready_tasks"] if t["role"] == ROLE_PUBLIC)
    return render_template(
        "instance.html",
        state=state,
        waiting=[t for t in state["ready_tasks"] if t["role"] != ROLE_PUBLIC],
        public_waiting=sorted(public.items()),
        data_rows=presenters.data_rows(state["fields"]),
        outcome=outcome_words(state["outcome"], state["outcome_name"], state["outcome_name_en"]),
        data_files=_files(instance_id, state["data"], history),
        raw_data=presenters.raw_json(state["data"]),
        history=presenters.history_rows(history),
        links=links,
        may_urge=may_urge(actor),
        processes=[state["process_key"]],
    )


def _files(instance_id: int, data: dict[str, Any], history: list[dict[str, Any]]) -> list[Any]:
    """Files the case cites: in its data, and in what was submitted at any step (a call activity's
    data, such as a rectification report, stays in its own sub-process)."""
    cited = [data, [event["payload"] for event in history]]
    files = attachments.describe_readable(kernel(), require_actor(), instance_id, presenters.hashes_in(cited))
    return presenters.files_in(cited, files, file_link(instance_id))


@blueprint.get("/diagram.json")
@login_required
def diagram(instance_id: int) -> Any:
    """The pinned BPMN files with the elements done and waiting, for `static/js/diagram.js`."""
    view = taskview.diagram_view(kernel(), require_actor(), instance_id)
    files = []
    for name, xml in sorted(view.diagrams.items()):
        found = _PROCESS_ID.search(xml)
        files.append({"name": name, "process_id": found.group(1) if found else "", "xml": xml})
    return jsonify(
        process_key=view.process_key, diagrams=files, completed=view.completed, current=view.current
    )


@blueprint.get("/links/print")
@login_required
def print_links(instance_id: int) -> Any:
    """A sheet to print and hand out: one QR code and address per open single-use link."""
    links = instances.links(kernel(), require_actor(), instance_id)
    return render_template("links_print.html", instance_id=instance_id, links=links)


@blueprint.post("/copy")
@login_required
def copy_to(instance_id: int) -> Any:
    names = split_list(request.form.get("usernames", ""))
    verbs.copy_to(kernel(), require_actor(), instance_id, names, request.form.get("note", "").strip())
    flash(_("已抄送"), "success")
    return redirect(url_for("instances.show", instance_id=instance_id))
