"""/api/v1/posts: the model-post register (R4) with plate and badge numbers.

Town-wide roles see every branch's posts; everyone else sees their own branch's, and asking for
a post of another branch is refused (403) rather than hidden, as the engine decides.
"""

from __future__ import annotations

from typing import Any

from xianfeng.engine.services import registers

from ..context import kernel, require_actor
from .common import ApiBlueprint, protected, query
from .read_schemas import PostDetailSchema, PostQuery, PostSchema

blueprint = ApiBlueprint("posts_api", __name__, url_prefix="/api/v1/posts", description="Model-post register")


@blueprint.route("", methods=["GET"])
@protected(blueprint, 422)
@query(blueprint, PostQuery)
@blueprint.response(200, PostSchema(many=True))
def list_posts(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Posts visible to the caller, by plate number; filter by branch_id, village_id, status"""
    return registers.posts(kernel(), require_actor(), **args)


@blueprint.route("/<int:post_id>", methods=["GET"])
@protected(blueprint, 403, 404)
@blueprint.response(200, PostDetailSchema)
def show_post(post_id: int) -> dict[str, Any]:
    """One post with the instance that created it"""
    return registers.post(kernel(), require_actor(), post_id)
