"""The registers' rows that concern a dossier's subject: posts, areas, assessments, rewards,
criticisms, rectifications, revocations and the commendation ledger. Every row names the case that
wrote it, which the dossier then prints too. An assessment's outcome is worded as the current
assessment diagram declares it (`register_words`), which the caller passes in."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from xianfeng.forms import builtin_form_files, load_form

from ...clock import CHINA_TZ
from ...models import (
    AreaMember,
    AssessmentRecord,
    CommendationMark,
    Criticism,
    Member,
    ModelPost,
    Rectification,
    ResponsibilityArea,
    Reward,
)
from . import words
from .dossier_model import (
    AreaLine,
    AssessmentLine,
    CriticismLine,
    LedgerLine,
    PostLine,
    Records,
    RectificationLine,
    RevocationLine,
    RewardLine,
)
from .dossier_names import Names
from .dossier_scope import Columns, Scope, matching


def _china(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(CHINA_TZ) if value is not None else None


def _number(value: Decimal | float | None) -> float:
    return float(value) if value is not None else 0.0


def read_records(session: Session, scope: Scope, names: Names, outcomes: dict[str, str]) -> Records:
    """The rows about the subject; `outcomes` words an assessment's outcome codes (in Chinese)."""
    return Records(
        posts=_posts(session, scope, names),
        areas=_areas(session, scope, names),
        assessments=_assessments(session, scope, names, outcomes),
        rewards=_rewards(session, scope, names),
        criticisms=_criticisms(session, scope, names),
        rectifications=_rectifications(session, scope, names),
        revocations=_revocations(session, scope, names),
        ledger=_ledger(session, scope, names),
    )


def _post_columns(when: Sequence[Any] = ()) -> Columns:
    return Columns(member=ModelPost.member_id, post=ModelPost.id, branch=ModelPost.branch_id, when=when)


@functools.cache
def _category_labels() -> dict[str, Any]:
    """The option labels of a post's `category` (R12), from the shipped form that asks for it."""
    for name, raw in builtin_form_files().items():
        prop = load_form(name, raw).schema.get("properties", {}).get("category")
        if isinstance(prop, dict) and isinstance(prop.get("x-enum-labels"), dict):
            return dict(prop["x-enum-labels"])
    return {}


def _posts(session: Session, scope: Scope, names: Names) -> list[PostLine]:
    where = matching(scope, _post_columns((ModelPost.established_on, ModelPost.revoked_at)))
    labels = _category_labels()
    return [
        PostLine(
            id=p.id,
            plate_no=p.plate_no,
            badge_no=p.badge_no,
            title=p.title,
            member=names.members.get(p.member_id, ""),
            branch=names.branches.get(p.branch_id, ""),
            village=names.villages.get(p.village_id or 0, ""),
            category_text=str(labels.get(p.category, {}).get("zh_CN", p.category)),
            status=p.status,
            status_text=words.word(words.STATUSES, p.status),
            established_on=_china(p.established_on) or p.established_on,
            revoked_at=_china(p.revoked_at),
            case_id=p.creation_instance_id,
        )
        for p in session.execute(select(ModelPost).where(where).order_by(ModelPost.plate_no)).scalars()
    ]


def _areas(session: Session, scope: Scope, names: Names) -> list[AreaLine]:
    columns = Columns(
        area=ResponsibilityArea.id,
        branch=ResponsibilityArea.branch_id,
        when=(ResponsibilityArea.activated_at,),
    )
    where = matching(scope, columns)
    if scope.held_areas:
        where = or_(where, ResponsibilityArea.id.in_(sorted(scope.held_areas)))
    areas = (
        session.execute(select(ResponsibilityArea).where(where).order_by(ResponsibilityArea.id))
        .scalars()
        .all()
    )
    places = session.execute(
        select(AreaMember).where(AreaMember.area_id.in_([a.id for a in areas])).order_by(AreaMember.id)
    ).scalars()
    held: dict[int, list[str]] = {}
    for place in places:
        text = names.members.get(place.member_id, "") + ("（牵头）" if place.lead else "")
        held.setdefault(place.area_id, []).append(text + ("（已调出）" if place.left_at else ""))
    return [
        AreaLine(
            id=a.id,
            name=a.name,
            branch=names.branches.get(a.branch_id, ""),
            village=names.villages.get(a.village_id, ""),
            status=a.status,
            status_text=words.word(words.STATUSES, a.status),
            members="、".join(held.get(a.id, [])),
            activated_at=_china(a.activated_at),
            case_id=a.division_instance_id,
        )
        for a in areas
    ]


def _assessments(
    session: Session, scope: Scope, names: Names, outcomes: dict[str, str]
) -> list[AssessmentLine]:
    columns = Columns(
        member=ModelPost.member_id,
        post=AssessmentRecord.post_id,
        branch=ModelPost.branch_id,
        year=AssessmentRecord.year,
    )
    rows = session.execute(
        select(AssessmentRecord, ModelPost.plate_no, ModelPost.member_id)
        .join(ModelPost, ModelPost.id == AssessmentRecord.post_id)
        .where(matching(scope, columns))
        .order_by(AssessmentRecord.recorded_at, AssessmentRecord.id)
    ).all()
    return [
        AssessmentLine(
            case_id=r.instance_id,
            plate_no=plate,
            member=names.members.get(member_id, ""),
            year=r.year,
            score=_number(r.score),
            satisfaction=_number(r.satisfaction),
            responses=r.responses,
            outcome=r.outcome,
            outcome_text=words.word(outcomes, r.outcome),
            recorded_at=_china(r.recorded_at) or r.recorded_at,
        )
        for r, plate, member_id in rows
    ]


def _member_columns(model: Any, **more: Any) -> Columns:
    return Columns(member=model.member_id, branch=Member.branch_id, **more)


def _rewards(session: Session, scope: Scope, names: Names) -> list[RewardLine]:
    columns = _member_columns(Reward, post=Reward.post_id, area=Reward.area_id, year=Reward.year)
    rows = session.execute(
        select(Reward)
        .join(Member, Member.id == Reward.member_id)
        .where(matching(scope, columns))
        .order_by(Reward.awarded_at, Reward.id)
    ).scalars()
    return [
        RewardLine(
            case_id=r.instance_id,
            member=names.members.get(r.member_id, ""),
            post=names.posts.get(r.post_id or 0, ""),
            area=names.areas.get(r.area_id or 0, ""),
            year=r.year,
            spiritual=r.spiritual,
            material=r.material,
            amount=_number(r.amount),
            awarded_at=_china(r.awarded_at) or r.awarded_at,
        )
        for r in rows
    ]


def _criticisms(session: Session, scope: Scope, names: Names) -> list[CriticismLine]:
    columns = _member_columns(Criticism, area=Criticism.area_id, when=(Criticism.recorded_at,))
    rows = session.execute(
        select(Criticism)
        .join(Member, Member.id == Criticism.member_id)
        .where(matching(scope, columns))
        .order_by(Criticism.recorded_at, Criticism.id)
    ).scalars()
    return [
        CriticismLine(
            case_id=c.instance_id,
            member=names.members.get(c.member_id, ""),
            area=names.areas.get(c.area_id or 0, ""),
            reason=c.reason,
            follow_up=c.follow_up,
            recorded_at=_china(c.recorded_at) or c.recorded_at,
        )
        for c in rows
    ]


def _rectifications(session: Session, scope: Scope, names: Names) -> list[RectificationLine]:
    columns = _member_columns(
        Rectification, post=Rectification.post_id, area=Rectification.area_id, when=(Rectification.due_at,)
    )
    rows = session.execute(
        select(Rectification)
        .join(Member, Member.id == Rectification.member_id)
        .where(matching(scope, columns))
        .order_by(Rectification.due_at, Rectification.id)
    ).scalars()
    return [
        RectificationLine(
            case_id=r.instance_id,
            member=names.members.get(r.member_id, ""),
            post=names.posts.get(r.post_id or 0, ""),
            area=names.areas.get(r.area_id or 0, ""),
            problems=r.problems,
            due_at=_china(r.due_at) or r.due_at,
            status=r.status,
            status_text=words.word(words.STATUSES, r.status),
            closed_at=_china(r.closed_at),
        )
        for r in rows
    ]


def _revocations(session: Session, scope: Scope, names: Names) -> list[RevocationLine]:
    where = and_(ModelPost.status == "revoked", matching(scope, _post_columns((ModelPost.revoked_at,))))
    return [
        RevocationLine(
            case_id=p.revocation_instance_id,
            plate_no=p.plate_no,
            member=names.members.get(p.member_id, ""),
            title=p.title,
            revoked_at=_china(p.revoked_at),
            reason=p.revoke_reason,
            plate_returned_at=_china(p.plate_returned_at),
        )
        for p in session.execute(select(ModelPost).where(where).order_by(ModelPost.revoked_at)).scalars()
    ]


def _ledger(session: Session, scope: Scope, names: Names) -> list[LedgerLine]:
    columns = _member_columns(
        CommendationMark,
        post=CommendationMark.post_id,
        area=CommendationMark.area_id,
        year=CommendationMark.year,
    )
    rows = session.execute(
        select(CommendationMark)
        .join(Member, Member.id == CommendationMark.member_id)
        .where(matching(scope, columns))
        .order_by(CommendationMark.year, CommendationMark.member_id, CommendationMark.id)
    ).scalars()
    return [
        LedgerLine(
            case_id=m.instance_id,
            member=names.members.get(m.member_id, ""),
            year=m.year,
            kind=m.kind,
            kind_text=words.word(words.LEDGER_KINDS, m.kind),
            reason=m.reason,
            at=_china(m.created_at) or m.created_at,
        )
        for m in rows
    ]
