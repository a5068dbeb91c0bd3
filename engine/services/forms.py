"""Validate submitted data against a task's form, including organisation-backed fields.

A field marked `x-source: branch_members` must hold the id of an active member of the instance's
branch; the check runs in the step's transaction, so it sees the same data the step will.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition, FormValidationError

from ..errors import FormInvalid
from ..models import Member


def validate(session: Session, form: FormDefinition, data: Any, branch_id: int | None) -> dict[str, Any]:
    members = _branch_members(session, form, data, branch_id)

    def check_source(source: str, value: Any) -> str | None:
        if source == "branch_members":
            if value not in members:
                return f"member {value} is not an active member of this branch"
            return None
        return f"unknown option source {source!r}"

    try:
        return form.validate(data, check_source=check_source)
    except FormValidationError as exc:
        raise FormInvalid(form.name, exc.errors, exc.errors_zh) from exc


def _branch_members(session: Session, form: FormDefinition, data: Any, branch_id: int | None) -> set[int]:
    if "branch_members" not in form.source_fields().values() or branch_id is None:
        return set()
    rows = session.execute(select(Member.id).where(Member.branch_id == branch_id, Member.status == "active"))
    return {member_id for (member_id,) in rows}
