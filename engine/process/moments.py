"""A snapshot described for people, as of one moment of a case: what had run, what waited, the data.

The history pages replay a case event by event and describe the snapshot after the chosen event
with `describe`; it runs no step and writes nothing. What the snapshot alone cannot say — a due
time counted in working days (the holiday table as it was that day), an assignee changed by a
transfer — the caller takes from the replayed steps themselves, as the inbox took it then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from ..clock import parse_instant
from . import determinism
from .catalog import LoadedVersion
from .projection import end_of
from .runtime import release
from .scripting import SandboxEnvironment, SandboxScriptEngine
from .task_properties import (
    ASSIGNEE_PROPERTY,
    DUE_AT_PROPERTY,
    FORM_PROPERTY,
    NAME_EN_PROPERTY,
    properties_of,
)


@dataclass(frozen=True)
class ReadyStep:
    """A user task ready to be done. `due_at` only when the diagram gives an absolute time."""

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


@dataclass(frozen=True)
class WaitingEvent:
    """A catch event (or event-based gateway) waiting: for a timer, a message, or the first of several."""

    id: str
    spec_id: str
    process_id: str
    name: str
    kind: str  # timer / message / several
    due_at: dt.datetime | None
    messages: tuple[str, ...]
    alternatives: tuple[str, ...]  # the names of the events an event-based gateway waits for


@dataclass(frozen=True)
class CalledProcess:
    """A called process kept in the snapshot (running, or cancelled by a boundary event)."""

    call_element: str
    call_name: str
    process_id: str
    running: bool
    completed: tuple[str, ...]
    data: dict[str, Any]  # what differs from the caller's data


@dataclass(frozen=True)
class Moment:
    completed: dict[str, list[str]]  # process id -> elements that ran, in order
    ready: list[ReadyStep]
    waiting: list[WaitingEvent]
    called: list[CalledProcess]
    data: dict[str, Any]
    finished: bool
    end_event: str
    outcome: str

    @property
    def completed_elements(self) -> list[str]:
        return [element for elements in self.completed.values() for element in elements]

    @property
    def current_elements(self) -> list[str]:
        """Where the case waited: ready user tasks and waiting events (for the diagram's markers)."""
        ids = [step.spec_id for step in self.ready] + [event.spec_id for event in self.waiting]
        return list(dict.fromkeys(ids))


def describe(version: LoadedVersion, snapshot: str) -> Moment:
    determinism.install()
    workflow = version.serializer.loads(snapshot)
    engine = SandboxScriptEngine(SandboxEnvironment(helpers={}))
    workflow.script_engine = engine
    try:
        finished = workflow.is_completed()
        data = dict(workflow.data) if finished else _last_data(workflow)
        end_event, outcome = end_of(workflow) if finished else ("", "")
        return Moment(
            completed={tree.spec.name: _completed(tree) for tree in _trees(workflow)},
            ready=[_ready(task, engine) for task in workflow.get_tasks(state=TaskState.READY, manual=True)],
            waiting=[_waiting(t) for t in workflow.get_tasks(state=TaskState.WAITING) if _catches(t)],
            called=_called(workflow, data),
            data=data,
            finished=finished,
            end_event=end_event,
            outcome=outcome,
        )
    finally:
        release(workflow)


def _trees(workflow: Any) -> list[Any]:
    return [workflow, *workflow.subprocesses.values()]


def _completed(tree: Any) -> list[str]:
    """The tree's own elements that ran (not those of the processes it calls), in the order they ran."""
    done = [
        (task.last_state_change, task.task_spec.bpmn_id)
        for task in tree.tasks.values()
        if task.state == TaskState.COMPLETED and getattr(task.task_spec, "bpmn_id", None)
    ]
    return list(dict.fromkeys(element for _time, element in sorted(done, key=lambda pair: pair[0])))


def _last_data(tree: Any) -> dict[str, Any]:
    last = tree.last_task
    return dict(last.data) if last is not None else {}


def _ready(task: Any, engine: SandboxScriptEngine) -> ReadyStep:
    spec = task.task_spec
    props = properties_of(spec)
    key = task.internal_data.get("key_or_index")
    assignee = _evaluated(task, engine, props.get(ASSIGNEE_PROPERTY))
    due = _evaluated(task, engine, props.get(DUE_AT_PROPERTY))
    return ReadyStep(
        id=str(task.id),
        spec_id=spec.bpmn_id or spec.name,
        process_id=task.workflow.spec.name,
        name=spec.bpmn_name or spec.bpmn_id or spec.name,
        name_en=props.get(NAME_EN_PROPERTY, ""),
        role=spec.lane or "",
        form=props.get(FORM_PROPERTY, ""),
        assignee_member_id=assignee if isinstance(assignee, int) and not isinstance(assignee, bool) else None,
        mi_index=key if isinstance(key, int) else None,
        due_at=_instant(due),
    )


def _evaluated(task: Any, engine: SandboxScriptEngine, expression: str | None) -> Any:
    """A task property's value, or None when it needs what only a step has (the calendar)."""
    if not expression:
        return None
    try:
        return engine.evaluate(task, expression)
    except Exception:  # any failure means: the snapshot alone cannot tell
        return None


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dict):  # cycle timers keep {"cycles", "next", "duration"}
        value = value.get("next")
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        return None


def _catches(task: Any) -> bool:
    spec = task.task_spec
    return isinstance(spec, CatchingEvent) and getattr(spec, "event_definition", None) is not None


def _waiting(task: Any) -> WaitingEvent:
    spec = task.task_spec
    definition = spec.event_definition
    parts = list(definition.event_definitions) if isinstance(definition, MultipleEventDefinition) else []
    kinds = [_kind(part) for part in parts or [definition]]
    return WaitingEvent(
        id=str(task.id),
        spec_id=spec.bpmn_id or spec.name,
        process_id=task.workflow.spec.name,
        name=spec.bpmn_name or spec.bpmn_id or spec.name,
        kind=kinds[0] if len(kinds) == 1 else "several",
        due_at=_instant(task.internal_data.get("event_value")),
        messages=tuple(part.name for part in parts or [definition] if _kind(part) == "message"),
        alternatives=tuple(
            output.bpmn_name or output.bpmn_id for output in spec.outputs if getattr(output, "bpmn_id", None)
        )
        if parts
        else (),
    )


def _kind(definition: Any) -> str:
    if isinstance(definition, TimerEventDefinition):
        return "timer"
    if isinstance(definition, MessageEventDefinition):
        return "message"
    return type(definition).__name__


def _called(workflow: Any, caller_data: dict[str, Any]) -> list[CalledProcess]:
    called = []
    for task_id, subprocess in workflow.subprocesses.items():
        parent = workflow.get_task_from_id(task_id)
        spec = parent.task_spec if parent is not None else None
        inside = _last_data(subprocess)
        called.append(
            CalledProcess(
                call_element=getattr(spec, "bpmn_id", "") or "",
                call_name=getattr(spec, "bpmn_name", "") or getattr(spec, "bpmn_id", "") or "",
                process_id=subprocess.spec.name,
                running=not subprocess.is_completed(),
                completed=tuple(_completed(subprocess)),
                data={k: v for k, v in inside.items() if caller_data.get(k, _ABSENT) != v},
            )
        )
    return called


_ABSENT = object()


def element_names(version: LoadedVersion) -> dict[str, tuple[str, str]]:
    """Each element's (name, English name) across the version's processes, by element id."""
    names: dict[str, tuple[str, str]] = {}
    for spec in (version.spec, *version.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            # A multi-instance task has two specs of one id: the unnamed wrapper must not hide the child.
            if element and (element not in names or task_spec.bpmn_name):
                name = task_spec.bpmn_name or element
                names[element] = (name, properties_of(task_spec).get(NAME_EN_PROPERTY, ""))
    return names


def step_names(version: LoadedVersion) -> dict[str, str]:
    """The element that names a step logged without a task: the start event (`start`) and, for
    each message, the events that catch it (`message:<name>`), by element id."""
    found: dict[str, str] = {}
    for spec in (version.spec, *version.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            definition = getattr(task_spec, "event_definition", None)
            if not element:
                continue
            if spec is version.spec and isinstance(task_spec, StartEvent):
                found.setdefault("start", element)
            if isinstance(task_spec, CatchingEvent) and isinstance(definition, MessageEventDefinition):
                found.setdefault(f"message:{definition.name}", element)
    return found


def process_names(version: LoadedVersion) -> dict[str, str]:
    """Each process's name as the diagram gives it ("中文 English"), by process id."""
    specs = (version.spec, *version.subprocess_specs.values())
    return {spec.name: spec.description or spec.name for spec in specs}


def data_forms(version: LoadedVersion) -> list[tuple[str | None, str]]:
    """(variable, form file) of every form whose answers enter the data: the start form first, then
    each user task's. A task with a `variableName` puts its answers under that one key."""
    forms: list[tuple[str | None, str]] = [(None, version.start_form)] if version.start_form else []
    for spec in (version.spec, *version.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            form = properties_of(task_spec).get(FORM_PROPERTY)
            if form and getattr(task_spec, "manual", False):
                entry = (getattr(task_spec, "variable", None), form)
                if entry not in forms:
                    forms.append(entry)
    return forms
