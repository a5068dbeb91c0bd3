"""GET /api/v1/people: the person picker's search — whom the caller may choose for 转办 (transfer),
委派 (delegate), 加签 (add_signer) or 抄送 (copy) on a task (or, for a copy, a case), by name.

The verbs take the `id` of the person chosen (`to_id`, `user_ids`). The search is refused (403)
to anyone who may not use the verb there, so it never lists people to someone who could not
choose them; the rule of whom each verb may reach is the engine's (`services.people`).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from xianfeng.engine.services import people

from ..context import kernel, require_actor
from .cases_api import QueryId
from .common import ApiBlueprint, StrictSchema, protected, query

blueprint = ApiBlueprint("people_api", __name__, url_prefix="/api/v1", description="Person picker")


class PeopleQuery(StrictSchema):
    q = fields.String(
        load_default="", validate=validate.Length(max=64), metadata={"description": "name words"}
    )
    verb = fields.String(
        data_key="for",
        required=True,
        validate=validate.OneOf(people.PICKER_VERBS),
        metadata={"description": "the verb the person is chosen for: transfer, delegate, add_signer, copy"},
    )
    task = fields.String(
        load_default="", validate=validate.Length(max=64), metadata={"description": "the task's id"}
    )
    instance = QueryId(metadata={"description": "for a copy from a case's page: the case's id (no task)"})


class PersonSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the account id the verbs take"})
    name = fields.String(metadata={"description": "the person's name"})
    branch = fields.String(metadata={"description": "the account's branch, empty for town-wide accounts"})
    roles = fields.List(
        fields.String(), metadata={"description": "member, branch, committee, admin, auditor"}
    )


@blueprint.route("/people", methods=["GET"])
@protected(blueprint, 403, 404, 422)
@query(blueprint, PeopleQuery)
@blueprint.response(200, PersonSchema(many=True))
def search(args: dict[str, Any]) -> list[people.Person]:
    """People the caller may choose for a verb on a task, whose name contains `q` (at most 20)

    `for=transfer`: holders of the task's role within its branch; `delegate`: member, branch or
    committee accounts within the task's branch; `add_signer`: acting accounts who may read the case;
    `copy`: accounts who may read the case. Never the caller, never whom the task is already with.
    """
    return people.search(
        kernel(),
        require_actor(),
        args["verb"],
        args["q"],
        task_id=args["task"],
        instance_id=args.get("instance"),
    )
