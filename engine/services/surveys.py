"""Answering a survey through its single-use link (no account), and what its page shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition

from ..actor import Actor
from ..errors import TokenInvalid
from ..kernel import Kernel
from ..models import ProcessInstance, Survey, SurveyLink, SurveyResponse
from ..models.org import ROLE_PUBLIC
from . import forms
from .steps import EventMeta, record_verb

SURVEY_EVENT = "survey"


@dataclass(frozen=True)
class SurveyAnswer:
    survey_id: int
    instance_id: int
    event_seq: int


def find(session: Session, token: str) -> tuple[SurveyLink, Survey] | None:
    row = session.execute(
        select(SurveyLink, Survey)
        .join(Survey, Survey.id == SurveyLink.survey_id)
        .where(SurveyLink.token == token)
    ).first()
    return (row[0], row[1]) if row is not None else None


def check_open(link: SurveyLink, survey: Survey, now: dt.datetime) -> None:
    if link.used_at is not None:
        raise TokenInvalid("this link has already been used", reason="used")
    if survey.closed_at is not None:
        raise TokenInvalid("this survey is closed", reason="closed")
    if survey.closes_at <= now:
        raise TokenInvalid("this survey has ended", reason="expired")


def form_of(kernel: Kernel, session: Session, survey: Survey) -> FormDefinition:
    instance = session.get(ProcessInstance, survey.instance_id)
    assert instance is not None
    return kernel.catalog.get(session, instance.process_version_id).form(survey.form)


def answer(kernel: Kernel, token: str, data: dict[str, Any]) -> SurveyAnswer:
    """Record one anonymous answer; the link is used up and the answer is chained to the instance."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        found = find(session, token)
        if found is None:
            raise TokenInvalid("this link is not valid", reason="unknown")
        link, survey = found
        now = kernel.clock.now()
        instance = session.execute(
            select(ProcessInstance).where(ProcessInstance.id == survey.instance_id).with_for_update()
        ).scalar_one()
        session.refresh(link)  # re-read after the lock: a concurrent answer may have used it
        check_open(link, survey, now)
        cleaned = forms.validate(session, form_of(kernel, session, survey), data, instance.branch_id)
        session.add(SurveyResponse(survey_id=survey.id, data=cleaned, answered_at=now))
        link.used_at = now
        meta = EventMeta(
            kind=SURVEY_EVENT,
            actor=Actor.public(),
            role=ROLE_PUBLIC,
            payload={"survey_id": survey.id, "data": cleaned},
        )
        seq = record_verb(session, kernel, instance, meta)
        uow.commit()
    return SurveyAnswer(survey.id, instance.id, seq)


def open_links(session: Session, instance_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SurveyLink.token, Survey.title, Survey.closes_at)
        .join(Survey, Survey.id == SurveyLink.survey_id)
        .where(Survey.instance_id == instance_id, Survey.closed_at.is_(None), SurveyLink.used_at.is_(None))
        .order_by(Survey.id, SurveyLink.token)
    ).all()
    return [
        {"token": token, "task_id": "", "task": title, "expires_at": closes, "kind": "survey"}
        for token, title, closes in rows
    ]
