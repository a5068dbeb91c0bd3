"""The person picker's search for pages (转办, 委派, 加签, 抄送): the same search as
GET /api/v1/people, answered as JSON to the signed-in page session, with each person's branch and
roles in the page's language. `static/js/people-picker.js` calls it as one types a name."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request

from xianfeng.engine.services import people
from xianfeng.engine.services.people import Person

from ..auth import login_required
from ..context import kernel, require_actor
from . import labels

blueprint = Blueprint("people", __name__, url_prefix="/people")


def described(person: Person) -> dict[str, Any]:
    """A person as the picker lists them: 张三 · 治安村党支部 · 党员."""
    roles = labels.joined([labels.role(r) for r in person.roles], enumeration=True)
    return {"id": person.id, "name": person.name, "branch": person.branch, "roles": roles}


@blueprint.get("/search")
@login_required
def search() -> Any:
    verb = request.args.get("for", "")
    instance = request.args.get("instance", "")
    if verb not in people.PICKER_VERBS or (instance and not instance.isdigit()):
        abort(400)
    found = people.search(
        kernel(),
        require_actor(),
        verb,
        request.args.get("q", ""),
        task_id=request.args.get("task", ""),
        instance_id=int(instance) if instance else None,
    )
    return jsonify([described(person) for person in found])
