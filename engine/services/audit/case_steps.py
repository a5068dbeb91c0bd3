"""Where each listed case stands, in the words of its pinned diagram: the steps a running case
waits at (its ready tasks, or the timers it waits for when no one has a task), and the name of the
end event an ended case finished on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import HumanTask, ProcessInstance, TimerRow
from ...process.catalog import Catalog
from ...process.end_events import element_names, end_events


@dataclass(frozen=True)
class WaitingStep:
    name: str
    name_en: str
    role: str  # the lane of a task (member, branch, committee, public); "" for a timer
    kind: str  # "task" or "timer"
    count: int  # how many wait there (e.g. villagers' single-use evaluations)
    due_at: dt.datetime | None  # the earliest due time among them


def waiting_steps(
    session: Session, catalog: Catalog, instances: Sequence[ProcessInstance]
) -> dict[int, list[WaitingStep]]:
    """Instance id → the steps it waits at, each named once with how many wait there."""
    if not instances:
        return {}
    grouped: dict[int, dict[str, list[WaitingStep]]] = {}
    tasks = session.execute(
        select(HumanTask.instance_id, HumanTask.name, HumanTask.name_en, HumanTask.role, HumanTask.due_at)
        .where(HumanTask.instance_id.in_([i.id for i in instances]))
        .order_by(HumanTask.instance_id, HumanTask.created_at, HumanTask.id)
    )
    for instance_id, name, name_en, role, due_at in tasks:
        grouped.setdefault(instance_id, {}).setdefault(name, []).append(
            WaitingStep(name, name_en, role, "task", 1, due_at)
        )
    idle = {i.id: i for i in instances if i.id not in grouped}
    if idle:
        timers = session.execute(
            select(TimerRow.instance_id, TimerRow.spec_id, TimerRow.due_at)
            .where(TimerRow.instance_id.in_(idle))
            .order_by(TimerRow.instance_id, TimerRow.due_at)
        )
        for instance_id, element, due_at in timers:
            name, name_en = element_names(catalog.get(session, idle[instance_id].process_version_id)).get(
                element, (element, "")
            )
            grouped.setdefault(instance_id, {}).setdefault(name, []).append(
                WaitingStep(name, name_en, "", "timer", 1, due_at)
            )
    return {instance_id: [_merged(same) for same in steps.values()] for instance_id, steps in grouped.items()}


def _merged(same: list[WaitingStep]) -> WaitingStep:
    first = same[0]
    dues = [step.due_at for step in same if step.due_at is not None]
    return WaitingStep(first.name, first.name_en, first.role, first.kind, len(same), min(dues, default=None))


def outcome_names(
    session: Session, catalog: Catalog, instances: Sequence[ProcessInstance]
) -> dict[int, tuple[str, str]]:
    """Instance id → (name, English name) of the end event it finished on, from its pinned version."""
    names: dict[int, tuple[str, str]] = {}
    by_version: dict[int, dict[str, tuple[str, str]]] = {}
    for instance in instances:
        version_id = instance.process_version_id
        if version_id not in by_version:
            ends = end_events(catalog.get(session, version_id))
            by_version[version_id] = {
                **{end.outcome: (end.name, end.name_en) for end in ends},
                **{end.element: (end.name, end.name_en) for end in ends},
            }
        known = by_version[version_id]
        found = known.get(instance.end_event) or known.get(instance.outcome)
        if found:
            names[instance.id] = found
    return names
