"""Public satisfaction surveys (群众满意度测评, R5, R10): a diagram opens one with N single-use links
and a closing time, and closes it (usually from a timer) to get the tally. Answers arrive in
between through `services.surveys.answer`, each one an event in the chain."""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Any

from sqlalchemy import select

from ...clock import parse_instant
from ...errors import ServiceTaskError
from ...journal import capture
from ...models import Survey, SurveyLink, SurveyResponse
from .context import ServiceContext

MAX_LINKS = 500


def open_survey(ctx: ServiceContext, title: str, links: int, closes_at: str, form: str) -> dict[str, Any]:
    count = int(links)
    if not 1 <= count <= MAX_LINKS:
        raise ServiceTaskError(f"a survey has 1 to {MAX_LINKS} links, not {count}")
    survey = Survey(
        instance_id=ctx.instance_id,
        title=title[:255],
        form=form,
        links=count,
        opened_at=ctx.now,
        closes_at=parse_instant(closes_at),
    )
    ctx.session.add(survey)
    ctx.session.flush()
    capture.insert_rows(
        ctx.session,
        SurveyLink,
        [{"token": secrets.token_urlsafe(18), "survey_id": survey.id} for _ in range(count)],
    )
    return {"survey_id": survey.id, "links": count}


def close_survey(ctx: ServiceContext, survey_id: int) -> dict[str, Any]:
    """Close the survey and count the answers per option of every choice field."""
    survey = ctx.session.get(Survey, survey_id)
    if survey is None or survey.instance_id != ctx.instance_id:
        raise ServiceTaskError(f"survey {survey_id} is not a survey of instance {ctx.instance_id}")
    survey.closed_at = ctx.now
    answers = ctx.session.execute(select(SurveyResponse.data).where(SurveyResponse.survey_id == survey_id))
    counts: dict[str, Counter[str]] = {}
    total = 0
    for (data,) in answers:
        total += 1
        for field, value in data.items():
            if isinstance(value, str | int | bool) and field != "comment":
                counts.setdefault(field, Counter())[str(value)] += 1
    ctx.session.flush()
    return {
        "survey_id": survey_id,
        "responses": total,
        "links": survey.links,
        "counts": {field: dict(sorted(c.items())) for field, c in sorted(counts.items())},
    }
