"""Choices for form fields backed by the organisation (`x-source`), with the labels people read.

The same sources validate submissions (`services.forms`); here they become the options of a select.
"""

from __future__ import annotations

from sqlalchemy import select

from ..kernel import Kernel
from ..models import Member, ModelPost, Village


def choices(kernel: Kernel, source: str, branch_id: int | None) -> list[tuple[int, str]]:
    """(id, label) pairs in display order; empty for an unknown source or no branch."""
    if branch_id is None:
        return []
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        if source == "branch_members":
            rows = session.execute(
                select(Member.id, Member.name, Member.code)
                .where(Member.branch_id == branch_id, Member.status == "active")
                .order_by(Member.id)
            )
            return [(mid, f"{name}（{code}）") for mid, name, code in rows]
        if source == "branch_posts":
            posts = session.execute(
                select(ModelPost.id, ModelPost.plate_no, Member.name, ModelPost.title)
                .join(Member, Member.id == ModelPost.member_id)
                .where(ModelPost.branch_id == branch_id, ModelPost.status == "active")
                .order_by(ModelPost.id)
            )
            return [(pid, f"{plate} {name} · {title}") for pid, plate, name, title in posts]
        if source == "branch_villages":
            villages = session.execute(
                select(Village.id, Village.name).where(Village.branch_id == branch_id).order_by(Village.id)
            )
            return [(vid, name) for vid, name in villages]
    return []
