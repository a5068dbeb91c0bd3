"""An instance: where it stands, its history, its diagram, and its open links for villagers."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.actor import Actor
from xianfeng.engine.models.org import ROLE_BRANCH, ROLE_COMMITTEE, ROLE_PUBLIC
from xianfeng.engine.services import attachments, case_history, instances, people, taskview, verbs, withdraw

from ..auth import login_required
from ..context import kernel, require_actor
from . import diagram_words, history_text, labels, presenters, standing_text
from .case_text import outcome_words
from .formview import split_list
from .people_pages import described
from .task_pages import PICKER_FIRST, file_link, readable

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
    stages = standing_text.standing_texts(state["standing"])
    return render_template(
        "instance.html",
        state=state,
        process_name=labels.process_name(state["process_name"]),
        stages=[(stage, [_line(line, state, actor) for line in stage.lines]) for stage in stages],
        now_text=standing_text.summary(stages),
        data_rows=presenters.data_rows(state["fields"], state["data"]),
        outcome=outcome_words(state["outcome"], state["outcome_name"], state["outcome_name_en"]),
        data_files=_files(instance_id, state["data"], history),
        raw_data=presenters.raw_json(state["data"]),
        history=history_text.history_rows(case_history.case_history(kernel(), actor, instance_id)),
        links=links,
        # 抄送 is offered to those who take part in procedures (`people` refuses the rest).
        may_withdraw=withdraw.may_withdraw(kernel(), actor, instance_id),
        copy_people=readable(
            lambda: [
                described(p)
                for p in people.search(
                    kernel(), actor, "copy", "", instance_id=instance_id, most=PICKER_FIRST
                )
            ]
        ),
        may_urge=may_urge(actor),
        processes=[state["process_key"]],
    )


def _line(line: standing_text.Line, state: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """A line of 当前进展 with what the reader can do about it: open a task that is theirs, or urge
    those it waits for (never oneself, and only where the task's diagram allows 催办)."""
    mine = [task_id for task_id in line.task_ids if task_id in state["my_tasks"]]
    urgeable = {t["id"] for t in state["ready_tasks"] if t["urgeable"] and t["role"] != ROLE_PUBLIC}
    urge: list[tuple[str, str]] = []
    if may_urge(actor) and not mine:
        targets = [task_id for task_id in line.task_ids if task_id in urgeable]
        if len(targets) > 1 and all(t in line.assignees for t in targets):
            urge = [(t, _("催办 %(name)s", name=line.assignees[t])) for t in targets]
        elif targets:
            urge = [(targets[0], _("催办"))]
    return {"text": line.text, "overdue": line.overdue, "act": mine[0] if mine else "", "urge": urge}


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
        process_id = found.group(1) if found else ""
        files.append(
            {
                "name": name,
                "process_id": process_id,
                # The process's name in the reader's language, for the heading of a called diagram.
                "title": labels.process_name(view.processes.get(process_id, process_id)),
                "xml": diagram_words.in_reader_words(xml, view.names, view.processes),
            }
        )
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
    chosen: list[int | str] = [int(v) for v in request.form.getlist("person") if v.strip().isdigit()]
    names = chosen or list(split_list(request.form.get("usernames", "")))
    result = verbs.copy_to(
        kernel(), require_actor(), instance_id, names, request.form.get("note", "").strip()
    )
    flash(_("已抄送给 %(people)s", people=labels.joined(result.people, enumeration=True)), "success")
    return redirect(url_for("instances.show", instance_id=instance_id))


@blueprint.post("/withdraw")
@login_required
def withdraw_case(instance_id: int) -> Any:
    """撤回: the starter takes the case back (before anyone else acted, where its diagram allows)."""
    withdraw.withdraw(kernel(), require_actor(), instance_id, request.form.get("reason", ""))
    flash(_("已撤回"), "success")
    return redirect(url_for("instances.show", instance_id=instance_id))
