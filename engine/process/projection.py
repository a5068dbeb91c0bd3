"""What the database keeps beside a snapshot: ready human tasks (the inbox) and timer due times.

Computed from the workflow at the end of every step, so the inbox and the timer table are always
in step with the snapshot they were derived from, and an approver's list is one indexed query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.util.task import TaskState

from ..clock import parse_instant
from ..errors import ScriptError
from .task_properties import (
    ASSIGNEE_PROPERTY,
    DUE_AT_PROPERTY,
    DUE_IN_WORKING_DAYS_PROPERTY,
    ESCALATE_PROPERTY,
    FORM_PROPERTY,
    NAME_EN_PROPERTY,
    OUTCOME_PROPERTY,
    REMIND_PROPERTY,
    properties_of,
)


@dataclass(frozen=True)
class ReadyTask:
    id: str
    spec_id: str
    process_id: str
    name: str
    name_en: str
    role: str
    form: str
    assignee_member_id: int | None
    mi_index: int | None
    due_at: dt.datetime | None
    instructions: str
    remind_days: int | None = None
    escalate_to: str = ""


@dataclass(frozen=True)
class WaitingTimer:
    id: str
    spec_id: str
    due_at: dt.datetime


def ready_tasks(ready: list[Any], engine: Any, skip: set[str] | None = None) -> list[ReadyTask]:
    """The `ready` user tasks not in `skip`, with assignee and due time evaluated in the sandbox.

    `engine` is the step's script engine: its helpers are the step's recorded ones, so a due time
    counted in working days is replayed exactly like a script's. Tasks that were already ready
    before the step (`skip`) keep their inbox rows and are not evaluated again.
    """
    skip = skip or set()
    return [_ready(task, engine) for task in ready if str(task.id) not in skip]


def _ready(task: Any, engine: Any) -> ReadyTask:
    spec = task.task_spec
    props = properties_of(spec)
    key = task.internal_data.get("key_or_index")
    return ReadyTask(
        id=str(task.id),
        spec_id=spec.bpmn_id or spec.name,
        process_id=task.workflow.spec.name,
        name=spec.bpmn_name or spec.bpmn_id or spec.name,
        name_en=props.get(NAME_EN_PROPERTY, ""),
        role=spec.lane or "",
        form=props.get(FORM_PROPERTY, ""),
        assignee_member_id=_assignee(task, engine, props.get(ASSIGNEE_PROPERTY)),
        mi_index=key if isinstance(key, int) else None,
        due_at=_due(task, engine, props),
        instructions=(spec.extensions or {}).get("instructionsForEndUser", "") or "",
        remind_days=int(props[REMIND_PROPERTY]) if props.get(REMIND_PROPERTY) else None,
        escalate_to=props.get(ESCALATE_PROPERTY, ""),
    )


def _evaluate(task: Any, engine: Any, expression: str, what: str) -> Any:
    try:
        return engine.evaluate(task, expression)
    except Exception as exc:
        raise ScriptError(
            f"{task.task_spec.bpmn_id}: property {what} ({expression!r}) failed: {exc}"
        ) from exc


def _assignee(task: Any, engine: Any, expression: str | None) -> int | None:
    if not expression:
        return None
    value = _evaluate(task, engine, expression, ASSIGNEE_PROPERTY)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScriptError(f"{task.task_spec.bpmn_id}: assignee must be a member id, got {value!r}")
    return value


def _due(task: Any, engine: Any, props: dict[str, str]) -> dt.datetime | None:
    if props.get(DUE_AT_PROPERTY):
        value = _evaluate(task, engine, props[DUE_AT_PROPERTY], DUE_AT_PROPERTY)
        return parse_instant(str(value)) if value else None
    if props.get(DUE_IN_WORKING_DAYS_PROPERTY):
        days = _evaluate(task, engine, props[DUE_IN_WORKING_DAYS_PROPERTY], DUE_IN_WORKING_DAYS_PROPERTY)
        helpers = engine.environment.helpers
        return parse_instant(helpers["add_working_days"](helpers["now"](), int(days)))
    return None


def waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    timers = []
    for task in workflow.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition | MultipleEventDefinition):
            continue
        due = _timer_due(task.internal_data.get("event_value"))
        if due is not None:
            timers.append(WaitingTimer(str(task.id), task.task_spec.bpmn_id or "", due))
    return timers


def _timer_due(value: Any) -> dt.datetime | None:
    if isinstance(value, dict):  # cycle timers keep {"cycles", "next", "duration"}
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        return parse_instant(value)
    except ValueError:
        return None


def end_of(workflow: BpmnWorkflow) -> tuple[str, str]:
    """The end event the top-level process finished on, and its `outcome` property."""
    ends = [
        t
        for t in workflow.tasks.values()
        if t.state == TaskState.COMPLETED and isinstance(t.task_spec, EndEvent) and t.task_spec.bpmn_id
    ]
    if not ends:
        return "", ""
    last = ends[-1]
    return last.task_spec.bpmn_id, properties_of(last.task_spec).get(OUTCOME_PROPERTY, last.task_spec.bpmn_id)
