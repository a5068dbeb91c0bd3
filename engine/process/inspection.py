"""Read-only views of a snapshot, for people: which elements ran, and the data so far."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
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


# Views of snapshots already restored for list pages, by (diagram bundle, snapshot digest): a list
# shows the same cases on every load, and restoring a workflow costs far more than hashing its text.
_VIEWS: OrderedDict[tuple[str, bytes], SnapshotView] = OrderedDict()
_VIEWS_LOCK = threading.Lock()
VIEWS_KEPT = 1024  # about the rows of the list pages a worker serves in turn; each view a few KB


def inspect_shared(version: LoadedVersion, snapshot: str) -> SnapshotView:
    """`inspect`, restoring each snapshot of a version once per process while it stays among the
    last `VIEWS_KEPT` inspected. The view is shared between callers: read it, never change it.
    Keyed by the snapshot's content, so a case that moved is restored anew."""
    key = (version.bundle_hash, hashlib.sha256(snapshot.encode()).digest())
    with _VIEWS_LOCK:
        found = _VIEWS.get(key)
        if found is not None:
            _VIEWS.move_to_end(key)
            return found
    view = inspect(version, snapshot)
    with _VIEWS_LOCK:
        _VIEWS[key] = view
        while len(_VIEWS) > VIEWS_KEPT:
            _VIEWS.popitem(last=False)
    return view


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
