"""党员责任区: the areas of the actor's scope (R8) and the members exempted from one, one area with its
goals and their progress (目标管理), work records (R9) and disclosures (R10), a member recording their
work against a goal, the branch setting goals and commenting, and the branch starting the review
of all its areas (R10).

Who may read an area, record in it, comment or set goals is the service's decision; the page only
offers the forms the service says the actor may use. Which procedures the page starts (the
division, a change of members, the review) are those the diagrams offer here (`offer`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import FormInvalid, NotAllowed, RuleViolation
from xianfeng.engine.services import area_disclosures, area_goals, areas, attachments, offers, starting

from ..auth import login_required
from ..context import kernel, require_actor
from . import bulk_start, formview, labels
from .attachment_pages import chosen_files, file_response

blueprint = Blueprint("areas", __name__, url_prefix="/areas")
STATUSES = ("active", "draft", "retired", "discarded")
REVIEWS = "area_reviews"  # where the diagrams offer the review of all a branch's areas


def file_link(area_id: int) -> Callable[[str], str]:
    return lambda sha: url_for("areas.attachment", area_id=area_id, sha256=sha)


def _record_rows(area_id: int, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each record with its kind and its domain (or political duty) as the form's labels say, and
    its attached files with their addresses."""
    properties = areas.work_record_form().schema["properties"]
    files = attachments.describe(kernel(), [sha for record in records for sha in record["attachments"]])
    link = file_link(area_id)
    rows = []
    for record in records:
        field = "domain" if record["kind"] == "service" else "political_activity"
        rows.append(
            {
                **record,
                "kind_text": labels.option_text(properties["kind"], record["kind"]),
                "domain_text": labels.option_text(properties[field], record["domain"]),
                "files": [(files[sha], link(sha)) for sha in record["attachments"] if sha in files],
            }
        )
    return rows


def team(members: list[dict[str, Any]]) -> str:
    """The area's members in one line, the lead marked: 李志强、王芳（牵头）."""
    return labels.joined(
        [m["name"] + (labels.paren(_("牵头")) if m["lead"] else "") for m in members], enumeration=True
    )


@blueprint.get("")
@login_required
def index() -> Any:
    status = request.args.get("status") if request.args.get("status") in STATUSES else "active"
    found = areas.list_areas(kernel(), require_actor(), status)
    rows = [{**row, "team": team(row["members"])} for row in found]
    exempted = area_disclosures.exemptions(kernel(), require_actor())
    return render_template("areas.html", rows=rows, statuses=STATUSES, chosen=status, exempted=exempted)


def _render_area(
    area_id: int, comment_errors: dict[int, str] | None = None, comments: dict[int, str] | None = None
) -> tuple[str, int]:
    area = areas.area_detail(kernel(), require_actor(), area_id)
    page = render_template(
        "area.html",
        area=area,
        records=_record_rows(area_id, area["records"]),
        comment_errors=comment_errors or {},
        comments=comments or {},
    )
    return page, 422 if comment_errors else 200


@blueprint.get("/<int:area_id>")
@login_required
def show(area_id: int) -> Any:
    return _render_area(area_id)


def _render_record_form(
    area: dict[str, Any], values: dict[str, Any], error: FormInvalid | None = None
) -> tuple[str, int]:
    form = areas.work_record_form()
    by_field, general = formview.messages_of(form, error) if error else ({}, [])
    files = attachments.describe(kernel(), formview.file_hashes(form, values), require_actor().user_id)
    goals = {area_goals.GOAL_SOURCE: [(g["id"], g["title"]) for g in area.get("goals", [])]}
    page = render_template(
        "area_record.html",
        area=area,
        form_title=form.title.get(labels.lang(), form.name),
        form_description=form.description.get(labels.lang(), ""),
        fields=formview.fields_of(form, values, by_field, goals, files, file_link(area["id"])),
        general_errors=general,
    )
    return page, 422 if error else 200


@blueprint.get("/<int:area_id>/records/new")
@login_required
def new_record(area_id: int) -> Any:
    area = areas.recording_area(kernel(), require_actor(), area_id)
    today = kernel().clock.now().astimezone(CHINA_TZ).date().isoformat()
    return _render_record_form(area, {"happened_on": today})


@blueprint.post("/<int:area_id>/records/new")
@login_required
def add_record(area_id: int) -> Any:
    form = areas.work_record_form()
    try:
        stored = areas.upload_for_work_record(kernel(), require_actor(), area_id, chosen_files())
    except FormInvalid as error:
        data = formview.parse(form, request.form)
        return _render_record_form(areas.recording_area(kernel(), require_actor(), area_id), data, error)
    data = formview.parse(
        form, request.form, {name: [i.sha256 for i in infos] for name, infos in stored.items()}
    )
    try:
        areas.record_work(kernel(), require_actor(), data, area_id)
    except FormInvalid as error:
        return _render_record_form(areas.recording_area(kernel(), require_actor(), area_id), data, error)
    flash(_("已记录工作"), "success")
    return redirect(url_for("areas.show", area_id=area_id))


@blueprint.get("/<int:area_id>/attachments/<sha256>")
@login_required
def attachment(area_id: int, sha256: str) -> Any:
    info, content = areas.work_record_file(kernel(), require_actor(), area_id, sha256)
    return file_response(info, content)


@blueprint.post("/<int:area_id>/records/<int:record_id>/comment")
@login_required
def comment(area_id: int, record_id: int) -> Any:
    text = request.form.get("comment", "")
    try:
        areas.comment_work(kernel(), require_actor(), record_id, text)
    except RuleViolation as refused:
        if refused.params.get("field") != "comment":
            raise
        message = _("请填写点评意见（至少 2 个字）")
        return _render_area(area_id, {record_id: message}, {record_id: text})
    flash(_("已点评"), "success")
    return redirect(url_for("areas.show", area_id=area_id, _anchor=f"record-{record_id}"))


def _render_goal_form(
    area_id: int, values: dict[str, Any], error: FormInvalid | None = None
) -> tuple[str, int]:
    form = area_goals.goal_form()
    by_field, general = formview.messages_of(form, error) if error else ({}, [])
    area = areas.area_detail(kernel(), require_actor(), area_id)
    if not area["may_set_goals"]:
        raise NotAllowed(f"{require_actor().username} may not set the goals of responsibility area {area_id}")
    page = render_template(
        "area_goal.html",
        area=area,
        form_title=form.title.get(labels.lang(), form.name),
        form_description=form.description.get(labels.lang(), ""),
        fields=formview.fields_of(form, values, by_field),
        general_errors=general,
    )
    return page, 422 if error else 200


@blueprint.get("/<int:area_id>/goals/new")
@login_required
def new_goal(area_id: int) -> Any:
    return _render_goal_form(area_id, {})


@blueprint.post("/<int:area_id>/goals/new")
@login_required
def add_goal(area_id: int) -> Any:
    data = formview.parse(area_goals.goal_form(), request.form)
    try:
        area_goals.add_goal(kernel(), require_actor(), area_id, data)
    except FormInvalid as error:
        return _render_goal_form(area_id, data, error)
    flash(_("已添加工作目标"), "success")
    return redirect(url_for("areas.show", area_id=area_id, _anchor="goals"))


@blueprint.post("/start-reviews")
@login_required
def start_reviews() -> Any:
    # The review is whichever procedure the diagrams offer for the areas' reviews (`offer`).
    report = starting.start_for_all(kernel(), require_actor(), offers.process_for(kernel(), REVIEWS))
    bulk_start.flash_report(report, _("已为 %(count)s 个责任区发起考评", count=len(report.started)))
    return redirect(url_for("areas.index"))
