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

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from ...errors import ServiceTaskError
from ...models import Event, Member, ModelPost, ProcessInstance, StartNumber, User
from ...models.start_numbers import whole_number
from .context import ServiceContext


def running_cases_naming(process_key: str, field: str, number: int, other_than: int) -> Select[int, str]:
    """The running cases of `process_key` but `other_than` whose start form gave `number` in
    `field`, in case order: one walk of the start numbers' index (field, value, case), each case
    then read by its key, whatever the number of cases running."""
    return (
        select(ProcessInstance.id, ProcessInstance.title)
        .select_from(StartNumber)
        .join(ProcessInstance, ProcessInstance.id == StartNumber.instance_id)
        .where(
            StartNumber.field == field,
            StartNumber.value == number,
            ProcessInstance.process_key == process_key,
            ProcessInstance.status == "running",
            ProcessInstance.id != other_than,
        )
        # The index gives them in this order already: ordering by the case's own key could lead
        # the planner to walk every case instead.
        .order_by(StartNumber.instance_id)
    )


def member_standing(ctx: ServiceContext, member_id: int, start_field: str) -> dict[str, Any]:
    """The member's active posts, and the other running cases of this process whose start form
    names the member in `start_field` (e.g. other nominations of the same member).

    The start forms are read from their whole numbers (`StartNumber`, written with each start
    event), not from the events: a start reading every running case's event cost each nomination
    the time of all those before it."""
    number = whole_number(member_id)
    if number is None:
        raise ServiceTaskError(f"member_id must be a whole number, not {member_id!r}")
    # Two starts naming the member at once would each find the other not yet written: on PostgreSQL
    # the member's row is locked until this step's transaction ends, so the second reads after the
    # first is written (and, done again, finds another result: it is computed again and refused).
    # SQLite's one writer orders them already; it takes no row locks.
    ctx.session.execute(select(Member.id).where(Member.id == number).with_for_update())
    posts = ctx.session.execute(
        select(ModelPost.id, ModelPost.plate_no, ModelPost.title)
        .where(ModelPost.member_id == number, ModelPost.status == "active")
        .order_by(ModelPost.id)
    ).all()
    this = ctx.session.get(ProcessInstance, ctx.instance_id)
    if this is None:
        raise ServiceTaskError(f"instance {ctx.instance_id} does not exist")
    running = ctx.session.execute(
        running_cases_naming(this.process_key, start_field, number, ctx.instance_id)
    ).all()
    return {
        "active_posts": [{"id": i, "plate_no": plate, "title": title} for i, plate, title in posts],
        "running_cases": [{"id": case_id, "title": title} for case_id, title in running],
    }


def _numbers(data: dict[str, Any]) -> Iterable[tuple[str, int | float]]:
    for field, value in data.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield field, value


# Built once: every evaluation deadline of a round runs it (2,000 at one midnight in a county).
_ANSWERS = (
    select(Event.instance_id, Event.spec_id, Event.payload, User.member_id)
    .outerjoin(User, User.id == Event.actor_user_id)
    .where(
        Event.instance_id.in_(bindparam("ids", expanding=True)),
        Event.kind == "complete",
        Event.spec_id.in_(bindparam("tasks", expanding=True)),
    )
    .order_by(Event.seq)
)


def tally_answers(ctx: ServiceContext, tasks: list[str]) -> dict[str, Any]:
    """Per user task (element id): how many answers it received in this case, the sum of each
    numeric field over them, and the members (ids) who answered; nothing about who gave what."""
    _check_tasks(tasks)
    rows = ctx.session.execute(_ANSWERS, {"ids": [ctx.instance_id], "tasks": tasks}).all()
    return _tally(list(rows), tasks)


def tally_answers_of_cases(session: Session, asked: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """`tally_answers` for several cases at once (a tick batch's, each with its own parameters),
    in one statement: each one's result, in order."""
    for _instance_id, params in asked:
        _check_tasks(params["tasks"])
    ids = sorted({instance_id for instance_id, _params in asked})
    tasks = sorted({task for _instance_id, params in asked for task in params["tasks"]})
    rows = session.execute(_ANSWERS, {"ids": ids, "tasks": tasks}).all()
    by_case: dict[int | None, list[Any]] = {}
    for row in rows:
        by_case.setdefault(row[0], []).append(row)
    return [
        _tally([r for r in by_case.get(instance_id, []) if r[1] in params["tasks"]], params["tasks"])
        for instance_id, params in asked
    ]


def _check_tasks(tasks: Any) -> None:
    if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
        raise ServiceTaskError(f"tasks must be a list of element ids, not {tasks!r}")


def _tally(rows: list[Any], tasks: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {task: {"count": 0, "sums": {}, "members": []} for task in tasks}
    for _instance_id, spec_id, payload, member_id in rows:
        data = json.loads(payload).get("data", {})
        entry = result[spec_id]
        entry["count"] += 1
        for field, value in _numbers(data if isinstance(data, dict) else {}):
            entry["sums"][field] = entry["sums"].get(field, 0) + value
        if member_id is not None and member_id not in entry["members"]:
            entry["members"].append(member_id)
    return result
