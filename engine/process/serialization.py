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
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

SPEC_REF_KEY = "spec_ref"


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
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class SnapshotSerializer:
    """Dumps and loads workflows of one pinned process version."""

    def __init__(self, top_spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> None:
        converter = type(
            "BoundSpeclessConverter",
            (_SpeclessWorkflowConverter,),
            {"top_spec": top_spec, "subprocess_specs": subprocess_specs},
        )
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = converter
        self._inner = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))

    def dumps(self, workflow: BpmnWorkflow) -> str:
        inner = self._inner
        inner.registry._encoder_mode = True
        try:
            dct = inner.to_dict(workflow)
            dct[inner.VERSION_KEY] = inner.VERSION
            return json.dumps(dct, cls=inner._encoder_cls, separators=(",", ":"), ensure_ascii=False)
        finally:
            inner.registry._encoder_mode = False

    def loads(self, snapshot: str) -> BpmnWorkflow:
        return self._inner.deserialize_json(snapshot)


def state_hash(snapshot: str) -> str:
    return hashlib.sha256(snapshot.encode("utf-8")).hexdigest()
