"""The model-post register (R4): plate, member, branch, village, category, status and history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..actor import Actor
from ..errors import NotAllowed, NotFound
from ..kernel import Kernel
from ..models import Branch, Member, ModelPost, ProcessInstance, Village
from . import authz


def posts(
    kernel: Kernel,
    actor: Actor,
    branch_id: int | None = None,
    village_id: int | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Posts visible to the actor (town-wide roles see all; others their branch), filtered."""
    with kernel.db.unit_of_work(write=False) as uow:
        statement = _post_query()
        if not (actor.roles & authz.TOWN_WIDE_READERS):
            statement = statement.where(ModelPost.branch_id == actor.branch_id)
        if branch_id is not None:
            statement = statement.where(ModelPost.branch_id == branch_id)
        if village_id is not None:
            statement = statement.where(ModelPost.village_id == village_id)
        if status:
            statement = statement.where(ModelPost.status == status)
        return [_view(*row) for row in uow.session.execute(statement.order_by(ModelPost.plate_no))]


def post(kernel: Kernel, actor: Actor, post_id: int) -> dict[str, Any]:
    with kernel.db.unit_of_work(write=False) as uow:
        row = uow.session.execute(_post_query().where(ModelPost.id == post_id)).first()
        if row is None:
            raise NotFound(f"no model post {post_id}", post_id=post_id)
        view = _view(*row)
        if not (actor.roles & authz.TOWN_WIDE_READERS) and row[0].branch_id != actor.branch_id:
            raise NotAllowed(f"model post {post_id} belongs to another branch", post_id=post_id)
        instances = uow.session.execute(
            select(
                ProcessInstance.id,
                ProcessInstance.process_key,
                ProcessInstance.title,
                ProcessInstance.status,
                ProcessInstance.started_at,
            ).where(ProcessInstance.id == row[0].creation_instance_id)
        ).all()
        view["instances"] = [dict(r._mapping) for r in instances]
        return view


def _post_query() -> Any:
    village = aliased(Village)
    return (
        select(ModelPost, Member.name, Branch.name, village.name)
        .join(Member, Member.id == ModelPost.member_id)
        .join(Branch, Branch.id == ModelPost.branch_id)
        .outerjoin(village, village.id == ModelPost.village_id)
    )


def _view(post: ModelPost, member: str, branch: str, village: str | None) -> dict[str, Any]:
    return {
        "id": post.id,
        "plate_no": post.plate_no,
        "badge_no": post.badge_no,
        "title": post.title,
        "category": post.category,
        "service_domains": list(post.service_domains or []),
        "duties": post.duties,
        "pledge": post.pledge,
        "status": post.status,
        "member_id": post.member_id,
        "member": member,
        "branch_id": post.branch_id,
        "branch": branch,
        "village_id": post.village_id,
        "village": village or "",
        "established_on": post.established_on,
        "revoked_at": post.revoked_at,
        "revoke_reason": post.revoke_reason,
        "creation_instance_id": post.creation_instance_id,
    }
