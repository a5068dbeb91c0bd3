"""Where a running case waits, read from its snapshot: each ready user task with the call
activities it runs inside and, for one instance of a multi-instance activity, how many of its
instances are done; each waiting timer or message with the activity a boundary event is attached
to. The case page turns this into words ("公示中，… 截止", "等待 张三、李四（1/3 已完成）").

It runs no step and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from ..clock import parse_instant
from . import determinism
from .catalog import LoadedVersion
from .runtime import release
from .task_properties import NAME_EN_PROPERTY, properties_of


@dataclass(frozen=True)
class Call:
    """A call activity a waiting step runs inside (outermost first)."""

    element: str
    name: str
    name_en: str
    process_id: str  # the process it calls


@dataclass(frozen=True)
class ReadyPoint:
    task_id: str
    spec_id: str
    calls: tuple[Call, ...]
    done: int  # instances of its multi-instance activity already done (0 for a single task)
    total: int  # all instances of that activity (0 for a single task)


@dataclass(frozen=True)
class WaitingPoint:
    """A catch event waiting: a timer (with its due time), a message, or the first of several."""

    spec_id: str
    name: str
    name_en: str
    kind: str  # timer / message / several
    due_at: dt.datetime | None
    calls: tuple[Call, ...]
    attached_to: str  # the activity a boundary event guards ("" for other events)
    alternatives: tuple[tuple[str, str], ...]  # (name, English name) of the events a gateway waits for


@dataclass(frozen=True)
class Standing:
    ready: dict[str, ReadyPoint]  # by task id
    waiting: list[WaitingPoint]


def standing(version: LoadedVersion, snapshot: str, task_ids: list[str]) -> Standing:
    determinism.install()
    workflow = version.serializer.loads(snapshot)
    try:
        ready = {}
        for task_id in task_ids:
            task = _task(workflow, task_id)
            if task is not None:
                done, total = _progress(task)
                ready[task_id] = ReadyPoint(
                    task_id, task.task_spec.bpmn_id, _calls(workflow, task), done, total
                )
        # The top workflow's tasks include those of the processes it calls.
        waiting = [_waiting(workflow, t) for t in workflow.get_tasks(state=TaskState.WAITING) if _catches(t)]
        return Standing(ready, waiting)
    finally:
        release(workflow)


def _task(workflow: Any, task_id: str) -> Any:
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError):
        return None


def _progress(task: Any) -> tuple[int, int]:
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceTask):
        return 0, 0
    info = parent.task_spec.task_info(parent)
    done = len(info.get("completed", []))
    return done, done + len(info.get("running", [])) + len(info.get("future", []))


def _calls(workflow: Any, task: Any) -> tuple[Call, ...]:
    """The call activities above the task, outermost first."""
    found: list[Call] = []
    tree = task.workflow
    while tree is not workflow and getattr(tree, "parent_task_id", None) is not None:
        caller = workflow.get_task_from_id(tree.parent_task_id)
        if caller is None:
            break
        spec = caller.task_spec
        english = properties_of(spec).get(NAME_EN_PROPERTY, "") or _process_english(tree.spec)
        found.append(Call(spec.bpmn_id or "", spec.bpmn_name or spec.bpmn_id or "", english, tree.spec.name))
        tree = caller.workflow
    return tuple(reversed(found))


def _process_english(spec: Any) -> str:
    """A called process's English name, from its "中文 English" name."""
    _chinese, _sep, english = (spec.description or "").partition(" ")
    return english if english[:1].isascii() else ""


def _catches(task: Any) -> bool:
    spec = task.task_spec
    return isinstance(spec, CatchingEvent) and getattr(spec, "event_definition", None) is not None


def _waiting(workflow: Any, task: Any) -> WaitingPoint:
    spec = task.task_spec
    definition = spec.event_definition
    parts = list(definition.event_definitions) if isinstance(definition, MultipleEventDefinition) else []
    kinds = [_kind(part) for part in parts or [definition]]
    return WaitingPoint(
        spec_id=spec.bpmn_id or spec.name,
        name=spec.bpmn_name or spec.bpmn_id or spec.name,
        name_en=properties_of(spec).get(NAME_EN_PROPERTY, ""),
        kind=kinds[0] if len(kinds) == 1 else "several",
        due_at=_instant(task.internal_data.get("event_value")),
        calls=_calls(workflow, task),
        attached_to=_attached_to(task),
        alternatives=tuple(
            (out.bpmn_name or out.bpmn_id, properties_of(out).get(NAME_EN_PROPERTY, ""))
            for out in spec.outputs
            if getattr(out, "bpmn_id", None)
        )
        if parts
        else (),
    )


def _attached_to(task: Any) -> str:
    """A boundary event waits beside the activity it guards, under one split task."""
    parent = task.parent
    if parent is None:
        return ""
    for sibling in parent.children:
        spec = sibling.task_spec
        if sibling is not task and not isinstance(spec, CatchingEvent) and getattr(spec, "bpmn_id", None):
            return str(spec.bpmn_id)
    return ""


def _kind(definition: Any) -> str:
    if isinstance(definition, TimerEventDefinition):
        return "timer"
    if isinstance(definition, MessageEventDefinition):
        return "message"
    return type(definition).__name__


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dict):  # cycle timers keep {"cycles", "next", "duration"}
        value = value.get("next")
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        return None
