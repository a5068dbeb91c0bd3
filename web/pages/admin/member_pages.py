"""党员: the members list, a member's page (their record, account, area places, posts and open
tasks), adding and correcting a member, and moving them (转支部, 转出, 离开, 恢复在册): the move is
previewed with everything it does, and done only when confirmed."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xianfeng.engine.errors import XianfengError
from xianfeng.engine.services.admin import departures, people
from xianfeng.engine.services.admin.member_fields import STATUSES, MemberDraft
from xianfeng.web.errors import status_of

from ...auth import login_required
from ...context import kernel, require_actor
from .blueprint import blueprint
from .common import day, field_errors, form, number, said

TEXT_FIELDS = (
    "code",
    "name",
    "gender",
    "phone",
    "political_quality",
    "work_ability",
    "organising_ability",
    "note",
)


def place(raw: str) -> tuple[int | None, int | None]:
    """The combined branch and village choice "BRANCH:VILLAGE" (one select, no script needed)."""
    branch, _sep, village = raw.partition(":")
    return number(branch), number(village)


def draft_from_form(branch_id: int | None, village_id: int | None) -> tuple[MemberDraft, dict[str, str]]:
    """The member form as a draft, and the fields that are not even numbers or dates."""
    wrong: dict[str, str] = {}
    year = form("birth_year")
    if year and not year.isdigit():
        wrong["birth_year"] = _("出生年份应为四位数年份")
    dates = {}
    for name in ("joined_party_on", "status_since"):
        dates[name] = day(form(name))
        if form(name) and dates[name] is None:
            wrong[name] = _("日期格式应为 2001-07-01")
    draft = MemberDraft(
        branch_id=branch_id,
        village_id=village_id,
        birth_year=int(year) if year.isdigit() else None,
        **{name: form(name) for name in TEXT_FIELDS},
        **dates,
    )
    return draft, wrong


@blueprint.get("/members")
@login_required
def members() -> Any:
    branch_id = number(request.args.get("branch"))
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    query = request.args.get("q", "").strip()[:64]
    found = people.list_members(kernel(), require_actor(), branch_id, status, query)
    chosen = {"branch": branch_id, "status": status, "q": query}
    return render_template("admin/members.html", found=found, statuses=STATUSES, chosen=chosen)


@blueprint.route("/members/new", methods=["GET", "POST"])
@login_required
def new_member() -> Any:
    if request.method == "GET":
        return _new_form()
    branch_id, village_id = place(form("place"))
    draft, wrong = draft_from_form(branch_id, village_id)
    if wrong:
        return _new_form(wrong, 422)
    try:
        member_id = people.create_member(kernel(), require_actor(), draft)
    except XianfengError as error:
        return _new_form(field_errors(error), status_of(error))
    flash(_("已新增党员：%(name)s", name=draft.name), "success")
    return redirect(url_for("admin.member", member_id=member_id))


def _new_form(errors: dict[str, str] | None = None, status: int = 200) -> Any:
    branches = people.choices(kernel(), require_actor())
    page = render_template(
        "admin/member_new.html", branches=branches, errors=errors or {}, given=request.form
    )
    return page, status


@blueprint.get("/members/<int:member_id>")
@login_required
def member(member_id: int) -> Any:
    return _member_page(member_id)


def _member_page(member_id: int, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    detail = people.member_detail(kernel(), require_actor(), member_id)
    page = render_template(
        "admin/member.html",
        detail=detail,
        m=detail.member,
        errors=errors or {},
        given=request.form if errors else {},
        today=detail.today.isoformat() if detail.today else "",
    )
    return page, status


@blueprint.post("/members/<int:member_id>")
@login_required
def update_member(member_id: int) -> Any:
    draft, wrong = draft_from_form(None, number(form("village_id")))
    if wrong:
        return _member_page(member_id, wrong, 422)
    try:
        changed = people.update_member(kernel(), require_actor(), member_id, draft, form("reason"))
    except XianfengError as error:
        return _member_page(member_id, field_errors(error), status_of(error))
    flash(
        _("已保存（%(count)s 项修改）", count=len(changed)) if changed else _("没有修改任何内容"), "success"
    )
    return redirect(url_for("admin.member", member_id=member_id))


def _departure(values: Any) -> departures.Departure:
    branch_id, village_id = place(values.get("place", ""))
    return departures.Departure(
        kind=values.get("kind", ""),
        on=day(values.get("on")),
        branch_id=branch_id,
        village_id=village_id,
        handover_to=values.get("handover_to") or None,
    )


@blueprint.get("/members/<int:member_id>/move")
@login_required
def move(member_id: int) -> Any:
    """The preview: what the move would do and what stands in its way; nothing is written."""
    departure = _departure(request.args)
    try:
        plan = departures.plan(kernel(), require_actor(), member_id, departure)
    except XianfengError as error:
        return _member_page(member_id, field_errors(error) or {"": said(error)}, status_of(error))
    return render_template("admin/move.html", plan=plan, values=request.args, error="")


@blueprint.post("/members/<int:member_id>/move")
@login_required
def confirm_move(member_id: int) -> Any:
    departure = _departure(request.form)
    try:
        done = departures.carry_out(kernel(), require_actor(), member_id, departure, form("reason"))
    except XianfengError as error:
        try:
            plan = departures.plan(kernel(), require_actor(), member_id, departure)
        except XianfengError:
            return _member_page(member_id, {"": said(error)}, status_of(error))
        page = render_template("admin/move.html", plan=plan, values=request.form, error=said(error))
        return page, status_of(error)
    flash(_moved_text(done), "success")
    return redirect(url_for("admin.member", member_id=member_id))


def _moved_text(done: departures.DeparturePlan) -> str:
    handed = len(done.handed)
    text = {
        "move": _("%(name)s 已转入 %(branch)s", name=done.name, branch=done.to_branch or ""),
        "moved": _("%(name)s 已登记为转出", name=done.name),
        "left": _("%(name)s 已登记为离开", name=done.name),
        "active": _("%(name)s 已恢复在册", name=done.name),
    }[done.kind]
    if handed:
        text += _("；%(count)s 项待办已交接", count=handed)
    return text
