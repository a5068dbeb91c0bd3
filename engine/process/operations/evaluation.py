"""What a nomination needs to know from the records: where a member stands (posts held, nominations
running) and the evaluation answers received so far, counted from the event log.

The rules built on these (one post per member, no second nomination, the minimum counts) live in
the diagram's scripts and decision tables; these operations only report facts. Both read the
chained log and registers and write nothing, so their results are recorded effects that replay
feeds back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select

from ...errors import ServiceTaskError
from ...models import Event, ModelPost, ProcessInstance, User
from .context import ServiceContext


def _data_of(raw: str | None) -> dict[str, Any]:
    """The form data of a start event's payload; empty when it holds none."""
    try:
        data = json.loads(raw or "{}").get("data", {})
    except (ValueError, AttributeError):
        return {}
    return data if isinstance(data, dict) else {}


def member_standing(ctx: ServiceContext, member_id: int, start_field: str) -> dict[str, Any]:
    """The member's active posts, and the other running cases of this process whose start form
    names the member in `start_field` (e.g. other nominations of the same member)."""
    posts = ctx.session.execute(
        select(ModelPost.id, ModelPost.plate_no, ModelPost.title)
        .where(ModelPost.member_id == member_id, ModelPost.status == "active")
        .order_by(ModelPost.id)
    ).all()
    this = ctx.session.get(ProcessInstance, ctx.instance_id)
    if this is None:
        raise ServiceTaskError(f"instance {ctx.instance_id} does not exist")
    # One statement for every running case's start form, and only those whose JSON holds the
    # member's number at all (a form naming the member spells it in decimal digits): with hundreds
    # of nominations running, a statement per case made each start read them all one by one.
    running = ctx.session.execute(
        select(ProcessInstance.id, ProcessInstance.title, Event.payload)
        .join(Event, (Event.instance_id == ProcessInstance.id) & (Event.instance_version == 1))
        .where(
            Event.kind == "start",
            ProcessInstance.process_key == this.process_key,
            ProcessInstance.status == "running",
            ProcessInstance.id != ctx.instance_id,
            Event.payload.contains(str(member_id), autoescape=True),
        )
        .order_by(ProcessInstance.id)
    ).all()
    cases = [
        {"id": case_id, "title": title}
        for case_id, title, payload in running
        if _data_of(payload).get(start_field) == member_id
    ]
    return {
        "active_posts": [{"id": i, "plate_no": plate, "title": title} for i, plate, title in posts],
        "running_cases": cases,
    }


def _numbers(data: dict[str, Any]) -> Iterable[tuple[str, int | float]]:
    for field, value in data.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield field, value


# Built once: every evaluation deadline of a round runs it (2,000 at one midnight in a county).
_ANSWERS = (
    select(Event.spec_id, Event.payload, User.member_id)
    .outerjoin(User, User.id == Event.actor_user_id)
    .where(
        Event.instance_id == bindparam("instance_id"),
        Event.kind == "complete",
        Event.spec_id.in_(bindparam("tasks", expanding=True)),
    )
    .order_by(Event.seq)
)


def tally_answers(ctx: ServiceContext, tasks: list[str]) -> dict[str, Any]:
    """Per user task (element id): how many answers it received in this case, the sum of each
    numeric field over them, and the members (ids) who answered; nothing about who gave what."""
    if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
        raise ServiceTaskError(f"tasks must be a list of element ids, not {tasks!r}")
    rows = ctx.session.execute(_ANSWERS, {"instance_id": ctx.instance_id, "tasks": tasks}).all()
    result: dict[str, Any] = {task: {"count": 0, "sums": {}, "members": []} for task in tasks}
    for spec_id, payload, member_id in rows:
        data = json.loads(payload).get("data", {})
        entry = result[spec_id]
        entry["count"] += 1
        for field, value in _numbers(data if isinstance(data, dict) else {}):
            entry["sums"][field] = entry["sums"].get(field, 0) + value
        if member_id is not None and member_id not in entry["members"]:
            entry["members"].append(member_id)
    return result
