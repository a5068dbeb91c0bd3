"""Restoring and dumping a snapshot in one pass, without SpiffWorkflow's converter registry.

A snapshot is restored at the start of every step and dumped at its end, so both are on the path
of every completion. SpiffWorkflow's converters dispatch every task, dict and list through a
registry of typed converters and copy every restored value. Our task data is JSON by rule (the
sandbox refuses anything else), so a snapshot normally holds nothing typed but its workflows and
tasks; such a *plain* snapshot is restored here directly from what `json.loads` returned, each
parsed value used in exactly one place, so no two tasks share a value the stock loader would not
have them share. Anything else (a typed value, an older format) goes through the registry, as do
the tests that check both paths give the same objects and the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

# In a dump made with separators (",", ":"), a key named typename outside a string. Inside a JSON
# string the quotes are escaped, so user text cannot produce it; a data key named "typename" can,
# which only sends that snapshot down the registry path.
TYPENAME_KEY = '"typename":'

_merge = DeepMerge.merge
_WAITING = TaskState.WAITING


def is_plain(snapshot: str, dct: dict[str, Any]) -> bool:
    """Whether the only typed values are the workflow, its subprocesses and their tasks."""
    if dct.get("bpmn_events"):
        return False
    subprocesses = dct.get("subprocesses", {})
    structural = 1 + len(subprocesses) + len(dct["tasks"])
    structural += sum(len(sub.get("tasks", ())) for sub in subprocesses.values())
    return snapshot.count(TYPENAME_KEY) == structural


def _as_parsed(value: Any) -> Any:
    return value


def task_data(
    item: dict[str, Any], parent: Task | None, restore: Callable[[Any], Any] = _as_parsed
) -> dict[str, Any]:
    """A task's data from its stored dict: SpiffWorkflow stores a root's data in full and every
    other task's as changes (a delta) to its parent's. `restore` turns stored values into objects:
    the registry's restore for snapshots that are not plain, the parsed values as they are for
    plain ones (each is used in this one place)."""
    delta = item.get("delta")
    if not delta or parent is None:
        data: dict[str, Any] = restore(item["data"])
        return data
    data = _merge({}, parent.data)
    data.update(restore(delta.get("updates", {})))
    for name in delta.get("deletions", ()):
        if name in data:
            del data[name]
    return data


class PlainLoader:
    """Restores plain snapshots of one pinned version into the objects the registry path gives."""

    def __init__(
        self, top_spec: Any, subprocess_specs: dict[str, Any], uuid_of: Callable[[str], UUID]
    ) -> None:
        self.top_spec, self.subprocess_specs = top_spec, subprocess_specs
        self.uuid_of = uuid_of
        self._catching: dict[int, bool] = {}

    def load(self, dct: dict[str, Any]) -> BpmnWorkflow:
        workflow = BpmnWorkflow(self.top_spec, self.subprocess_specs, deserializing=True)
        self._tree(workflow, dct, workflow)
        self._subprocesses(dct["subprocesses"], workflow, workflow)
        workflow.bpmn_events = []
        return workflow

    def _tree(self, workflow: Any, dct: dict[str, Any], top: BpmnWorkflow) -> None:
        """Tasks in the order stored (parents before children), then the workflow's attributes."""
        uuid_of, catching, specs = self.uuid_of, self._catching, workflow.spec.task_specs
        registered = workflow.tasks  # Task() registers itself here: children find their parent in it
        mapping: dict[UUID, Task] = {}
        for key, item in dct["tasks"].items():
            spec = specs.get(item["task_spec"])
            task = Task(workflow, spec, state=item["state"], id=uuid_of(item["id"]))
            parent_id = item["parent"]
            task._parent = uuid_of(parent_id) if parent_id is not None else None
            task._children = [uuid_of(child) for child in item["children"]]
            task.last_state_change = item["last_state_change"]
            task.triggered = item["triggered"]
            task.internal_data = item["internal_data"]
            is_catching = catching.get(id(spec))
            if is_catching is None:
                is_catching = catching[id(spec)] = isinstance(spec, CatchingEvent)
            if is_catching and task._state & _WAITING:
                top.event_manager.add_task(task)
            task.data = task_data(item, registered.get(task._parent))
            mapping[uuid_of(key)] = task
        workflow.tasks = mapping  # keyed by the stored keys, as the registry path keys it
        workflow.task_tree = mapping.get(uuid_of(dct["root"]))
        workflow.success = dct["success"]
        workflow.completed = dct.get("completed", False)
        workflow.correlations = dct.get("correlations", {})
        if isinstance(dct["last_task"], str):
            workflow.last_task = mapping.get(uuid_of(dct["last_task"]))
        workflow.data = dct.get("data", {})

    def _subprocesses(self, stored: dict[str, Any], workflow: Any, top: BpmnWorkflow) -> None:
        """As SpiffWorkflow restores them: each under its task, parents before the processes they call."""
        for task in list(workflow.tasks.values()):
            key = str(task.id)
            if not isinstance(task.task_spec, SubWorkflowTask) or key not in stored:
                continue
            spec = top.subprocess_specs.get(task.task_spec.spec)
            subprocess = BpmnSubWorkflow(spec, task.id, top, deserializing=True)
            self._tree(subprocess, stored.pop(key), top)
            top.subprocesses[task.id] = subprocess
            subprocess.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
            self._subprocesses(stored, subprocess, top)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """What the registry keeps of a data dict: no callables, no modules (a script's leftovers)."""
    return {k: v for k, v in values.items() if not callable(v) and not isinstance(v, ModuleType)}


class PlainDumper:
    """Builds the dict SpiffWorkflow's registry builds in encoder mode, in one pass.

    Values inside task data are left as they are, exactly as the registry leaves them for the JSON
    encoder: a typed value nested anywhere is converted by the encoder's `default` either way.
    """

    def __init__(self, text_of: Callable[[UUID], str]) -> None:
        self.text_of = text_of

    def dump(self, workflow: BpmnWorkflow, spec_ref_key: str) -> dict[str, Any]:
        dct = self._workflow(workflow)
        dct[spec_ref_key] = workflow.spec.name
        dct["subprocesses"] = {str(key): self._subprocess(sub) for key, sub in workflow.subprocesses.items()}
        dct["bpmn_events"] = workflow.bpmn_events
        dct["typename"] = "BpmnWorkflow"
        return dct

    def _subprocess(self, subprocess: BpmnSubWorkflow) -> dict[str, Any]:
        dct = self._workflow(subprocess)
        dct["parent_task_id"] = str(subprocess.parent_task_id)
        dct["spec"] = subprocess.spec.name
        dct["typename"] = "BpmnSubWorkflow"
        return dct

    def _workflow(self, workflow: Any) -> dict[str, Any]:
        text_of, task_dict = self.text_of, self._task
        last = workflow.last_task
        return {
            "data": _clean(workflow.data),
            "correlations": workflow.correlations,
            "last_task": str(last.id) if last is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": {text_of(key): task_dict(task) for key, task in workflow.tasks.items()},
            "root": str(workflow.task_tree.id),
        }

    def _task(self, task: Task) -> dict[str, Any]:
        text_of = self.text_of
        parent_id = task._parent
        parent = task.workflow.tasks.get(parent_id) if parent_id is not None else None
        if parent is None:
            data, delta = task.data, {}
        else:
            data = {}
            delta = {
                "updates": DeepMerge.get_updated_keys(parent.data, task.data),
                "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
            }
        return {
            "id": text_of(task.id),
            "parent": text_of(parent_id) if parent is not None else None,
            "children": [text_of(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": _clean(task.internal_data),
            "data": data,
            "delta": delta,
            "typename": "Task",
        }
