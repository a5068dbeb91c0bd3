"""Validate submitted data against a task's form, including organisation-backed fields.

A field marked `x-source` must hold an id from the organisation as it is now, within the
instance's branch: `branch_members` (active members), `branch_posts` (active model posts),
`branch_villages` (the branch's villages). The check runs in the step's transaction, so it sees
the same data the step will.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition, FormValidationError
from xianfeng.forms.files import ATTACHMENT_SOURCE

from ..errors import FormInvalid
from ..models import Member, ModelPost, Village
from . import attachments

# source name -> (query of the allowed ids for a branch, refusal in English, refusal in Chinese)
SOURCES: dict[str, tuple[Callable[[int], Any], str, str]] = {
    "branch_members": (
        lambda branch: select(Member.id).where(Member.branch_id == branch, Member.status == "active"),
        "is not an active member of this branch",
        "不是本支部的在册党员",
    ),
    "branch_posts": (
        lambda branch: select(ModelPost.id).where(
            ModelPost.branch_id == branch, ModelPost.status == "active"
        ),
        "is not an active model post of this branch",
        "不是本支部的有效示范岗",
    ),
    "branch_villages": (
        lambda branch: select(Village.id).where(Village.branch_id == branch),
        "is not a village of this branch",
        "不是本支部所辖的嘎查村",
    ),
}


def validate(
    session: Session,
    form: FormDefinition,
    data: Any,
    branch_id: int | None,
    may_cite: Callable[[set[str]], set[str]] | None = None,
    scoped: Mapping[str, set[Any]] | None = None,
) -> dict[str, Any]:
    """The cleaned data, or FormInvalid naming each bad field. A file field may hold only files
    that `may_cite` allows of those stored (`citations.may_cite`: the actor's own uploads, or files
    the case already cites); without it, none. One message for an unknown file and for another's,
    so that the refusal does not tell whether a hash is stored. `scoped` gives the values of
    sources narrower than a branch (an area's goals, `area_goals`), as the caller found them."""
    allowed = _allowed_values(session, form, branch_id)
    stored = attachments.existing(session, _cited_files(form, data))
    files = may_cite(stored) if may_cite is not None and stored else set()

    def check_source(source: str, value: Any) -> tuple[str, str] | None:
        if source == ATTACHMENT_SOURCE:
            if value in files:
                return None
            return f"{value} is not an uploaded file", f"{value} 不是已上传的文件"
        if scoped is not None and source in scoped:
            return (
                None
                if value in scoped[source]
                else (f"{value} is not one of the choices", f"{value} 不在可选范围内")
            )
        if source not in SOURCES:
            return f"unknown option source {source!r}", f"未知的选项来源 {source!r}"
        if value not in allowed.get(source, set()):
            return f"{value} {SOURCES[source][1]}", f"{value} {SOURCES[source][2]}"
        return None

    try:
        return form.validate(data, check_source=check_source)
    except FormValidationError as exc:
        raise FormInvalid(form.name, exc.errors, exc.errors_zh) from exc


def options(session: Session, source: str, branch_id: int | None) -> set[int]:
    """The ids a field of this source may hold (for pages that render a select)."""
    if source not in SOURCES or branch_id is None:
        return set()
    return set(session.execute(SOURCES[source][0](branch_id)).scalars())


def _allowed_values(session: Session, form: FormDefinition, branch_id: int | None) -> dict[str, set[int]]:
    sources = set(form.source_fields().values()) - {ATTACHMENT_SOURCE}
    return {source: options(session, source, branch_id) for source in sources}


def _cited_files(form: FormDefinition, data: Any) -> list[Any]:
    """The submitted values of the form's file fields (their sha256 hashes, if well formed)."""
    if not isinstance(data, dict):
        return []
    cited: list[Any] = []
    for field, source in form.source_fields().items():
        if source != ATTACHMENT_SOURCE:
            continue
        value = data.get(field.removesuffix("/*"))
        cited.extend(value if isinstance(value, list) else [value])
    return cited
