"""The satisfaction surveys of a dossier's cases, tallied: links handed out, answers returned, and
each question's options counted (free-text answers as written), worded by the survey's own form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition

from ...clock import CHINA_TZ
from ...models import Survey, SurveyResponse
from .dossier_model import OptionCount, Question, SurveyTally


def _china(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(CHINA_TZ) if value is not None else None


def survey_tallies(
    session: Session, case_ids: Sequence[int], forms: dict[int, dict[str, FormDefinition]]
) -> list[SurveyTally]:
    """Each survey of the cases: how many links and answers, and the answers counted per option
    of its form (free-text answers as written). `forms` are each case's pinned forms."""
    surveys = (
        session.execute(
            select(Survey)
            .where(Survey.instance_id.in_(list(case_ids)))
            .order_by(Survey.instance_id, Survey.id)
        )
        .scalars()
        .all()
    )
    tallies = []
    for survey in surveys:
        answers = (
            session.execute(
                select(SurveyResponse.data)
                .where(SurveyResponse.survey_id == survey.id)
                .order_by(SurveyResponse.id)
            )
            .scalars()
            .all()
        )
        form = forms.get(survey.instance_id, {}).get(survey.form)
        tallies.append(
            SurveyTally(
                case_id=survey.instance_id,
                title=survey.title,
                links=survey.links,
                responses=len(answers),
                opened_at=_china(survey.opened_at) or survey.opened_at,
                closes_at=_china(survey.closes_at) or survey.closes_at,
                closed_at=_china(survey.closed_at),
                questions=_questions(form, [a for a in answers if isinstance(a, dict)]),
            )
        )
    return tallies


def _questions(form: FormDefinition | None, answers: list[dict[str, Any]]) -> list[Question]:
    properties = form.schema.get("properties", {}) if form else {}
    order = form.field_names() if form else sorted({k for a in answers for k in a})
    questions = []
    for key in order:
        prop = properties.get(key, {})
        question = Question(label=str(prop.get("title") or key))
        labels = prop.get("x-enum-labels") or {}
        if "enum" in prop:
            for option in prop["enum"]:
                label = str((labels.get(str(option)) or {}).get("zh_CN", option))
                question.options.append(OptionCount(label, sum(1 for a in answers if a.get(key) == option)))
        else:
            question.comments = [str(a[key]) for a in answers if a.get(key) not in (None, "")]
        questions.append(question)
    return questions
