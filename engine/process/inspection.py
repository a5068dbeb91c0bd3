"""Read-only views of a snapshot, for people: which elements ran, and the data so far."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

from . import determinism
from .catalog import LoadedVersion
from .runtime import release, return_targets
from .scripting import SandboxEnvironment, SandboxScriptEngine
from .task_properties import properties_of

INSTRUCTIONS_EN_PROPERTY = "instructionsEn"


@dataclass(frozen=True)
class SnapshotView:
    completed_elements: list[str]
    data: dict[str, Any]
    completed: bool


def inspect(version: LoadedVersion, snapshot: str) -> SnapshotView:
    determinism.install()
    workflow = version.serializer.loads(snapshot)
    workflow.script_engine = SandboxScriptEngine(SandboxEnvironment(helpers={}))
    try:
        return SnapshotView(_completed_path(workflow), _visible_data(workflow), workflow.is_completed())
    finally:
        release(workflow)


def _completed_path(workflow: Any) -> list[str]:
    """Elements that ran, in order (for the diagram's highlighting and for auditors)."""
    done = []
    for tree in [workflow, *workflow.subprocesses.values()]:
        for task in tree.get_tasks(state=TaskState.COMPLETED):
            spec = task.task_spec
            if getattr(spec, "bpmn_id", None):
                done.append((task.last_state_change, spec.bpmn_id))
    return [element for _time, element in sorted(done, key=lambda pair: pair[0])]


def _visible_data(workflow: Any) -> dict[str, Any]:
    if workflow.is_completed():
        return dict(workflow.data)
    last = workflow.last_task
    return dict(last.data) if last is not None else {}


@dataclass(frozen=True)
class TaskDetails:
    instructions: str
    data: dict[str, Any]
    return_targets: list[dict[str, str]]
    instructions_en: str = ""  # the task's `instructionsEn` property: its instructions in English


def task_details(version: LoadedVersion, snapshot: str, task_id: str) -> TaskDetails:
    """The instructions, the data a task sees, and where it may be returned to (with names)."""
    determinism.install()
    workflow = version.serializer.loads(snapshot)
    try:
        task = workflow.get_task_from_id(UUID(task_id))
        spec = task.task_spec
        names = {
            ts.bpmn_id: ts.bpmn_name or ts.bpmn_id
            for ts in spec._wf_spec.task_specs.values()
            if getattr(ts, "bpmn_id", None)
        }
        return TaskDetails(
            instructions=(spec.extensions or {}).get("instructionsForEndUser", "") or "",
            data=dict(task.data),
            return_targets=[
                {"id": target, "name": names.get(target, target)} for target in return_targets(spec)
            ],
            instructions_en=properties_of(spec).get(INSTRUCTIONS_EN_PROPERTY, ""),
        )
    finally:
        release(workflow)
