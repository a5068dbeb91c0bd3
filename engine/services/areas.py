"""Responsibility areas as people see them (R8–R10): the areas with their villages, members and
lead; the work records members keep (R9) and the branch's comments on them.

Town-wide roles read every area; everyone else reads the areas of their branch. Only a member
holding a place in an active area records work, and only in that area.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition, builtin_form_files, load_form

from ..actor import Actor
from ..errors import NotAllowed, NotFound, RuleViolation
from ..kernel import Kernel
from ..models import (
    AreaGoal,
    AreaMember,
    AreaWorkRecord,
    Branch,
    Member,
    ResponsibilityArea,
    User,
    Village,
    WorkRecordComment,
)
from ..models.org import ROLE_BRANCH, ROLE_MEMBER
from . import area_goals, attachments, authz, chain, citations, forms
from .area_disclosures import disclosures_of

WORK_RECORD_FORM = "area_work_record.json"


def work_record_form() -> FormDefinition:
    return load_form(WORK_RECORD_FORM, builtin_form_files()[WORK_RECORD_FORM])


def list_areas(kernel: Kernel, actor: Actor, status: str = "active") -> list[dict[str, Any]]:
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        statement = _area_query().where(ResponsibilityArea.status == status)
        if not actor.roles & authz.TOWN_WIDE_READERS:
            statement = statement.where(ResponsibilityArea.branch_id == actor.branch_id)
        rows = session.execute(statement).all()
        members = _members_of(session, [area.id for area, _v, _b in rows])
        return [_area_view(area, village, branch, members.get(area.id, [])) for area, village, branch in rows]


def area_detail(kernel: Kernel, actor: Actor, area_id: int) -> dict[str, Any]:
    """One area with its members, its goals and their progress, its work records (R9) with the
    branch's comments, and its disclosures (R10); `may_record`, `may_comment` and `may_set_goals`
    say what the actor may add."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        area, village, branch = _readable_area(session, actor, area_id)
        view = _area_view(area, village, branch, _members_of(session, [area.id]).get(area.id, []))
        view["records"] = _records_of(session, area_id)
        view["goals"] = area_goals.goals_of(session, area_id)
        view["disclosures"] = disclosures_of(session, [area_id])
        view["may_record"] = _held_area_id(session, actor) == area_id
        view["may_comment"] = actor.has(ROLE_BRANCH) and actor.branch_id == area.branch_id
        view["may_set_goals"] = area_goals.may_set_goals(actor, area)
        return view


def recording_area(kernel: Kernel, actor: Actor, area_id: int) -> dict[str, Any]:
    """The area a member is about to record work in, with its goals to choose from; refused unless
    they hold a place in it."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        area, village, branch = _readable_area(session, actor, area_id)
        _check_holds(session, actor, area_id)
        view = _area_view(area, village, branch, _members_of(session, [area.id]).get(area.id, []))
        view["goals"] = area_goals.goals_of(session, area_id)
        return view


def _area_query() -> Any:
    return (
        select(ResponsibilityArea, Village.name, Branch.name)
        .join(Village, Village.id == ResponsibilityArea.village_id)
        .join(Branch, Branch.id == ResponsibilityArea.branch_id)
        .order_by(ResponsibilityArea.branch_id, ResponsibilityArea.village_id, ResponsibilityArea.id)
    )


def _readable_area(session: Session, actor: Actor, area_id: int) -> Any:
    row = session.execute(_area_query().where(ResponsibilityArea.id == area_id)).first()
    if row is None:
        raise NotFound(f"no responsibility area {area_id}", area_id=area_id)
    if not actor.roles & authz.TOWN_WIDE_READERS and row[0].branch_id != actor.branch_id:
        raise NotAllowed(f"responsibility area {area_id} belongs to another branch", area_id=area_id)
    return row


def _area_view(
    area: ResponsibilityArea, village: str, branch: str, members: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": area.id,
        "name": area.name,
        "village": village,
        "branch": branch,
        "branch_id": area.branch_id,
        "status": area.status,
        "description": area.description,
        "activated_at": area.activated_at,
        "division_instance_id": area.division_instance_id,
        "members": members,
    }


def _members_of(session: Session, area_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    result: dict[int, list[dict[str, Any]]] = {}
    if not area_ids:
        return result
    rows = session.execute(
        select(AreaMember, Member.name)
        .join(Member, Member.id == AreaMember.member_id)
        .where(AreaMember.area_id.in_(area_ids), AreaMember.left_at.is_(None))
        .order_by(AreaMember.id)
    ).all()
    for place, name in rows:
        result.setdefault(place.area_id, []).append(
            {
                "member_id": place.member_id,
                "name": name,
                "lead": place.lead,
                "scope": place.scope,
                "tasks": place.tasks,
            }
        )
    return result


def _held_area_id(session: Session, actor: Actor) -> int | None:
    """The active area the actor's member holds a place in (a member takes one area, R8)."""
    if actor.member_id is None:
        return None
    return session.execute(
        select(AreaMember.area_id)
        .join(ResponsibilityArea, ResponsibilityArea.id == AreaMember.area_id)
        .where(
            AreaMember.member_id == actor.member_id,
            AreaMember.left_at.is_(None),
            ResponsibilityArea.status == "active",
        )
    ).scalar_one_or_none()


def _check_holds(session: Session, actor: Actor, area_id: int | None) -> int:
    held = _held_area_id(session, actor)
    if held is None:
        raise NotAllowed(f"{actor.username} holds no active responsibility area")
    if area_id is not None and held != area_id:
        raise NotAllowed(f"{actor.username} holds no place in responsibility area {area_id}", area_id=area_id)
    return held


def record_work(kernel: Kernel, actor: Actor, data: dict[str, Any], area_id: int | None = None) -> int:
    """A member records service or a political duty in their area (R9).

    Who may record is checked before the form, so that someone outside the area learns nothing
    from the validator; `area_id`, when given, is the area the page was about, which must be theirs.
    """
    form = work_record_form()
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        held = _check_holds(session, actor, area_id)
        area = session.get(ResponsibilityArea, held)
        assert area is not None
        goals = {area_goals.GOAL_SOURCE: area_goals.goal_ids(session, held)}
        cleaned = forms.validate(session, form, data, area.branch_id, _citer(session, actor, held), goals)
        record = AreaWorkRecord(
            area_id=held,
            member_id=actor.member_id,
            kind=cleaned["kind"],
            domain=cleaned.get("domain") or cleaned.get("political_activity", ""),
            happened_on=dt.date.fromisoformat(cleaned["happened_on"]),
            what=cleaned["what"],
            for_whom=cleaned.get("for_whom", ""),
            outcome=cleaned.get("outcome", ""),
            attachments=json.dumps(cleaned.get("attachments", [])),
            recorded_at=kernel.clock.now(),
            goal_id=cleaned.get("goal_id"),
        )
        session.add(record)
        session.flush()
        citations.mark_cited(session, citations.file_values(form, cleaned), kernel.clock.now())
        chain.record(
            session,
            kernel,
            actor,
            "work_record",
            {"record_id": record.id, "area_id": held, "data": cleaned},
            ROLE_MEMBER,
        )
        uow.commit()
    return record.id


def _citer(session: Session, actor: Actor, area_id: int) -> Callable[[set[str]], set[str]]:
    """Files a record may hold: the member's own uploads, or files the area's records hold already."""

    def cited_here(hashes: set[str]) -> set[str]:
        return citations.cited_by_area(session, area_id, hashes)

    return lambda hashes: citations.may_cite(session, actor, hashes, cited_here)


def comment_work(kernel: Kernel, actor: Actor, record_id: int, comment: str) -> None:
    """The branch comments on a work record of an area in its branch."""
    if not actor.has(ROLE_BRANCH):
        raise NotAllowed("only the branch comments on work records")
    if len(comment.strip()) < 2:
        raise RuleViolation("a comment needs at least 2 characters", field="comment")
    with kernel.db.unit_of_work() as uow:
        record = uow.session.get(AreaWorkRecord, record_id)
        area = uow.session.get(ResponsibilityArea, record.area_id) if record else None
        if record is None or area is None:
            raise NotFound(f"no work record {record_id}", record_id=record_id)
        if area.branch_id != actor.branch_id:
            raise NotAllowed(f"work record {record_id} belongs to another branch")
        assert actor.user_id is not None
        text = comment.strip()
        uow.session.add(
            WorkRecordComment(
                record_id=record.id, text=text, commented_by=actor.user_id, commented_at=kernel.clock.now()
            )
        )
        chain.record(
            uow.session, kernel, actor, "work_comment", {"record_id": record.id, "text": text}, ROLE_BRANCH
        )
        uow.commit()


def upload_for_work_record(
    kernel: Kernel, actor: Actor, area_id: int, uploads: Mapping[str, Sequence[attachments.Upload]]
) -> dict[str, list[attachments.AttachmentInfo]]:
    """Files for a work record the actor is about to make in their area (stored before the record,
    like a task's: a record refused for another field keeps them)."""

    def record_form(session: Session) -> FormDefinition:
        _check_holds(session, actor, area_id)
        return work_record_form()

    return attachments.upload(kernel, actor, uploads, record_form)


def work_record_file(
    kernel: Kernel, actor: Actor, area_id: int, sha256: str
) -> tuple[attachments.AttachmentInfo, bytes]:
    """A file a work record of the area cites, for those who may read the area (or its uploader)."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        _readable_area(session, actor, area_id)

        def cited() -> bool:
            found = session.execute(
                select(AreaWorkRecord.id)
                .where(AreaWorkRecord.area_id == area_id, AreaWorkRecord.attachments.contains(f'"{sha256}"'))
                .limit(1)
            ).first()
            return found is not None

        return attachments.read(session, actor, sha256, cited)


def work_records(kernel: Kernel, actor: Actor, area_id: int) -> list[dict[str, Any]]:
    with kernel.db.unit_of_work(write=False) as uow:
        _readable_area(uow.session, actor, area_id)
        return _records_of(uow.session, area_id)


def _records_of(session: Session, area_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(AreaWorkRecord, Member.name, AreaGoal.title)
        .join(Member, Member.id == AreaWorkRecord.member_id)
        .outerjoin(AreaGoal, AreaGoal.id == AreaWorkRecord.goal_id)
        .where(AreaWorkRecord.area_id == area_id)
        .order_by(AreaWorkRecord.happened_on.desc(), AreaWorkRecord.id.desc())
    ).all()
    comments = _comments_of(session, [r.id for r, _name, _goal in rows])
    return [
        {
            "id": r.id,
            "member": name,
            "member_id": r.member_id,
            "kind": r.kind,
            "domain": r.domain,
            "happened_on": r.happened_on,
            "what": r.what,
            "for_whom": r.for_whom,
            "outcome": r.outcome,
            "recorded_at": r.recorded_at,
            "attachments": json.loads(r.attachments or "[]"),
            "comments": comments.get(r.id, []),
            "goal": goal or "",
        }
        for r, name, goal in rows
    ]


def _comments_of(session: Session, record_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Every comment the branch made on each record, oldest first, with who made it."""
    found: dict[int, list[dict[str, Any]]] = {}
    if not record_ids:
        return found
    rows = session.execute(
        select(WorkRecordComment, User.display_name)
        .join(User, User.id == WorkRecordComment.commented_by)
        .where(WorkRecordComment.record_id.in_(record_ids))
        .order_by(WorkRecordComment.id)
    ).all()
    for comment, who in rows:
        found.setdefault(comment.record_id, []).append(
            {"text": comment.text, "by": who, "at": comment.commented_at}
        )
    return found
