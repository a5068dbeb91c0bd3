"""Villagers' comments and complaints (群众监督, R4): filed on a village's public page without an
account, each one starts the procedure the diagrams offer for it (`offer` village_comment), which
gives the receipt number and takes the branch's answer; the receipt page shows it.

How many comments one client may file in a window is the diagram's (`commentLimit` on its start
event); the page counts them in the shared limits table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from xianfeng.forms import FormDefinition

from ..actor import Actor
from ..errors import NotFound
from ..kernel import Kernel
from ..models import Branch, ModelPost, ResponsibilityArea, Village, VillageComment
from ..process.quotas import COMMENT_LIMIT_PROPERTY, Quota, parse_quota, start_property
from . import authz, forms, offers
from .case_ahead import again_while_moved
from .starts_ahead import starts_ahead

PLACE = "village_comment"  # where the pages offer the procedure (`offer` on its start event)


def comment_form(kernel: Kernel) -> FormDefinition:
    """The start form of the comment procedure: what a villager fills in."""
    process_key = offers.process_for(kernel, PLACE)
    with kernel.db.unit_of_work(write=False) as uow:
        version = kernel.catalog.current(uow.session, process_key)
        if not version.start_form:
            raise NotFound(
                f"process {version.process_key} has no start form", process_key=version.process_key
            )
        return version.form(version.start_form)


def comment_quota(kernel: Kernel) -> Quota | None:
    process_key = offers.process_for(kernel, PLACE)
    with kernel.db.unit_of_work(write=False) as uow:
        version = kernel.catalog.current(uow.session, process_key)
    text = start_property(version.spec, COMMENT_LIMIT_PROPERTY)
    return parse_quota(text) if text else None


def file_comment(
    kernel: Kernel,
    village_id: int,
    data: dict[str, Any],
    post_id: int | None = None,
    area_id: int | None = None,
) -> dict[str, Any]:
    """Start the comment procedure for the village (and the post or area it is about); the receipt.

    The form is the procedure's start form; a bad form is FormInvalid and nothing is stored."""
    process_key = offers.process_for(kernel, PLACE)
    instance_id = again_while_moved(
        "the comment could not be filed",
        lambda: _start_comment(kernel, process_key, village_id, data, post_id, area_id),
    )
    with kernel.db.unit_of_work(write=False) as uow:
        comment = uow.session.execute(
            select(VillageComment).where(VillageComment.instance_id == instance_id)
        ).scalar_one()
        return {"receipt_no": comment.receipt_no, "village_id": village_id, "instance_id": instance_id}


def _start_comment(
    kernel: Kernel,
    process_key: str,
    village_id: int,
    data: dict[str, Any],
    post_id: int | None,
    area_id: int | None,
) -> int:
    """Start the procedure in the village's scope, computed ahead of the write lock like every
    start (`starts_ahead`); the case's id. The comment row is written by its service task."""
    public = Actor.public()
    with starts_ahead(kernel) as starts:
        session = starts.session
        village = session.get(Village, village_id)
        if village is None:
            raise NotFound(f"no village {village_id}", village_id=village_id)
        version = kernel.catalog.current(session, process_key)
        authz.check_may_start(public, process_key, version.start_role)
        if not version.start_form:
            raise NotFound(f"process {process_key} has no start form", process_key=process_key)
        cleaned = forms.validate(session, version.form(version.start_form), data, village.branch_id)
        started = {**cleaned, "post_id": post_id, "area_id": area_id}
        starts.add(version, public, started, village.branch_id, village.id, "")
        (outcome,) = starts.write()
    return outcome.instance_id


def comment_status(kernel: Kernel, receipt_no: str) -> dict[str, Any]:
    """What a villager may read back with their receipt: what they wrote, and the branch's answer."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        row = session.execute(
            select(VillageComment, Village.name, Branch.name)
            .join(Village, Village.id == VillageComment.village_id)
            .join(Branch, Branch.id == VillageComment.branch_id)
            .where(VillageComment.receipt_no == receipt_no)
        ).first()
        if row is None:
            raise NotFound(f"no comment with receipt number {receipt_no}", receipt_no=receipt_no)
        comment, village, branch = row
        return {
            "receipt_no": comment.receipt_no,
            "village_id": comment.village_id,
            "village": village,
            "branch": branch,
            "kind": comment.kind,
            "about": _about(session, comment),
            "text": comment.text,
            "filed_at": comment.filed_at,
            "status": comment.status,
            "answer": comment.answer,
            "answered_at": comment.answered_at,
        }


def _about(session: Any, comment: VillageComment) -> str:
    if comment.post_id is not None:
        post = session.get(ModelPost, comment.post_id)
        return f"{post.plate_no} {post.title}" if post else ""
    if comment.area_id is not None:
        area = session.get(ResponsibilityArea, comment.area_id)
        return area.name if area else ""
    return ""
