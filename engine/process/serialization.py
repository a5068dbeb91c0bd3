"""Snapshots of a workflow without its diagram.

SpiffWorkflow's serializer embeds the whole parsed spec (and every called process's spec) in each
snapshot: 17 KB of a 33 KB snapshot after one creation round, re-written on every step. We store a
reference instead: the instance row points at its pinned process version, whose specs are parsed
once and cached.

Key order is NOT sorted: SpiffWorkflow 3.2 stores each task's data as a delta on its parent's and
restores tasks in the order of the `tasks` map, so parents must precede children. Insertion order
is itself deterministic (task ids and order come from the step's seed), so a replay produces the
same bytes and the same hash.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .plain_snapshots import PlainDumper, PlainLoader, is_plain, task_data

SPEC_REF_KEY = "spec_ref"


# Task ids recur in every snapshot of an instance (each task's own id, its parent's and its
# children's): building a UUID from its text costs more than restoring the rest of the task, so
# ids are interned. UUIDs are immutable, so sharing one object between workflows is safe. The
# table is dropped when it grows past a bound rather than kept as an LRU: a miss only costs a parse.
# The bound is what a worker's memory grows by before it levels off (each entry costs about 280
# bytes: 4,000 in each table hold the ids of the last dozen cases, about 2 MiB in all; 20,000 grew
# a server's worker by some 10 MiB over its first thousands of completions), while a step needs
# only its own snapshot's ids, a few hundred.
_UUIDS: dict[str, UUID] = {}
_UUID_TEXT: dict[UUID, str] = {}
_INTERNED_MAX = 4_000


def uuid_of(text: str) -> UUID:
    found = _UUIDS.get(text)
    if found is None:
        if len(_UUIDS) >= _INTERNED_MAX:
            _UUIDS.clear()
        found = _UUIDS[text] = UUID(text)
    return found


def text_of(value: UUID) -> str:
    found = _UUID_TEXT.get(value)
    if found is None:
        if len(_UUID_TEXT) >= _INTERNED_MAX:
            _UUID_TEXT.clear()
        found = _UUID_TEXT[value] = str(value)
    return found


_PLAIN = (str, int, float, bool, type(None))


def _restore(registry: Any, value: Any) -> Any:
    """`registry.restore` for what `json.loads` gives: the same result, without its generic dispatch.

    Plain dicts and lists are copied as the registry copies them (so no object is shared that the
    stock loader would not share); anything typed goes to the registry itself.
    """
    kind = type(value)
    if kind is dict:
        if "typename" in value:
            return registry.restore(value)
        return {key: _restore(registry, item) for key, item in value.items()}
    if kind is list:
        return [_restore(registry, item) for item in value]
    if kind in _PLAIN:
        return value
    return registry.restore(value)


class _FastTaskConverter(TaskConverter):
    """SpiffWorkflow's task converter with interned ids and a direct restore, for snapshots that
    are not plain (see `plain_snapshots`); dumping is `PlainDumper`'s.

    It restores exactly what the stock converter restores (tests compare both, object for
    object); snapshots are restored on every step, so their cost is the step's.
    """

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Task:
        registry = self.registry
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=uuid_of(dct["id"]))
        parent_id = dct["parent"]
        task._parent = uuid_of(parent_id) if parent_id is not None else None
        task._children = [uuid_of(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = _restore(registry, dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        task.data = task_data(dct, task.parent, lambda value: _restore(registry, value))
        return task


def _tasks_from_dict(converter: Any, tasks: dict[str, Any], workflow: Any) -> dict[UUID, Task]:
    """`mapping_from_dict(tasks, UUID, workflow=…)` with interned ids; order kept (parents first)."""
    restore = converter.registry.restore
    return {uuid_of(key): restore(value, workflow=workflow) for key, value in tasks.items()}


class _FastSubWorkflowConverter(BpmnSubWorkflowConverter):
    def from_dict(self, dct: dict[str, Any], task: Task, top_workflow: BpmnWorkflow) -> BpmnSubWorkflow:
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = _tasks_from_dict(self, dct["tasks"], subprocess)
        subprocess.task_tree = subprocess.tasks.get(uuid_of(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Writes `spec_ref` in place of the spec; reads the spec from the bound version."""

    top_spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct[SPEC_REF_KEY] = workflow.spec.name
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        ref = dct.pop(SPEC_REF_KEY)
        if ref != self.top_spec.name:
            raise ValueError(f"snapshot is of process {ref!r}, not {self.top_spec.name!r}")
        workflow = self.target_class(self.top_spec, self.subprocess_specs, deserializing=True)
        workflow.tasks = _tasks_from_dict(self, dct["tasks"], workflow)
        workflow.task_tree = workflow.tasks.get(uuid_of(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class SnapshotSerializer:
    """Dumps and loads workflows of one pinned version.

    Loading takes the one-pass path of `plain_snapshots` when the snapshot is plain and of the
    current format, and the registry path otherwise; dumping always takes the one-pass path. Both
    give what SpiffWorkflow's own converters give (tests compare them object for object and byte
    for byte).
    """

    def __init__(
        self,
        top_spec: BpmnProcessSpec,
        subprocess_specs: dict[str, BpmnProcessSpec],
        *,
        stock_tasks: bool = False,
    ) -> None:
        """`stock_tasks` restores and dumps only through SpiffWorkflow's own converters: what the
        fast paths are tested against."""
        self.top_spec, self.subprocess_specs = top_spec, subprocess_specs
        converter = type(
            "BoundSpeclessConverter",
            (_SpeclessWorkflowConverter,),
            {"top_spec": top_spec, "subprocess_specs": subprocess_specs},
        )
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = converter
        if not stock_tasks:
            config[BpmnSubWorkflow] = _FastSubWorkflowConverter
            config[Task] = _FastTaskConverter
        self._inner = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self._loader = None if stock_tasks else PlainLoader(top_spec, subprocess_specs, uuid_of)
        self._dumper = None if stock_tasks else PlainDumper(text_of)

    def dumps(self, workflow: BpmnWorkflow) -> str:
        inner = self._inner
        inner.registry._encoder_mode = True
        try:
            if self._dumper is not None:
                dct = self._dumper.dump(workflow, SPEC_REF_KEY)
            else:
                dct = inner.to_dict(workflow)
            dct[inner.VERSION_KEY] = inner.VERSION
            return json.dumps(dct, cls=inner._encoder_cls, separators=(",", ":"), ensure_ascii=False)
        finally:
            inner.registry._encoder_mode = False

    def loads(self, snapshot: str) -> BpmnWorkflow:
        inner = self._inner
        if self._loader is not None:
            dct = json.loads(snapshot)
            if (
                dct.get(inner.VERSION_KEY) == inner.VERSION
                and dct.get(SPEC_REF_KEY) == self.top_spec.name
                and is_plain(snapshot, dct)
            ):
                return self._loader.load(dct)
        return inner.deserialize_json(snapshot)


def state_hash(snapshot: str) -> str:
    return hashlib.sha256(snapshot.encode("utf-8")).hexdigest()
