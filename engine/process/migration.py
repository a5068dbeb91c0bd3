"""Moving a running instance to a newer version of its process, with SpiffWorkflow's own diff.

`SpiffWorkflow.bpmn.util.diff` aligns the old diagram's elements with the new one's and lists, per
task of the instance, whether its element was changed or removed. A migration is allowed only when
nothing the case has done or is doing would change under it: no completed, running or ready task
of the instance (in the top process or any called process still held) was removed or changed, no
called process it is inside went missing, and no multi-instance activity is in flight (its
instances would lose their input items). Then every task is pointed at its new element, waiting
and ready branches are re-predicted from the new diagram (their data is copied again from their
parents, which is all a ready task holds here), and the snapshot is dumped by the new version.

The same function runs live and in replay, inside the step's determinism scope: a migration is a
step of the log, replayed across the version boundary like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow, filter_tasks, migrate_workflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from .catalog import LoadedVersion

_REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
_KEPT = TaskState.COMPLETED | TaskState.STARTED | TaskState.READY


@dataclass(frozen=True)
class Blocker:
    """Why an instance cannot move to the new version: which element, and what about it."""

    element: str
    reason: str

    def __str__(self) -> str:
        return f"{self.element}: {self.reason}"


def blockers(workflow: BpmnWorkflow, new: LoadedVersion) -> list[Blocker]:
    """Everything that forbids moving `workflow` (loaded on its old version) to `new`."""
    top, subprocesses = diff_workflow(_REGISTRY, workflow, new.spec, new.subprocess_specs)
    found: list[Blocker] = []
    for label, diff in [("", top), *((str(task_id), diff) for task_id, diff in subprocesses.items())]:
        if diff is None:
            found.append(Blocker(label, "the called process it is inside is not in the new version"))
            continue
        for task in filter_tasks(diff.removed, state=_KEPT):
            found.append(Blocker(_name(task), f"{_state(task)} here, and the new version removes it"))
        for task in filter_tasks(diff.changed, state=_KEPT):
            found.append(Blocker(_name(task), f"{_state(task)} here, and the new version changes it"))
    for tree in (workflow, *workflow.subprocesses.values()):
        for task in tree.get_tasks(state=TaskState.STARTED):
            if isinstance(task.task_spec, LoopTask):
                found.append(Blocker(_name(task), "a multi-instance activity is in flight"))
    return sorted(set(found), key=lambda b: (b.element, b.reason))


def migrate(workflow: BpmnWorkflow, new: LoadedVersion) -> None:
    """Point `workflow` at `new` (call only when `blockers` found nothing)."""
    top, subprocesses = diff_workflow(_REGISTRY, workflow, new.spec, new.subprocess_specs)
    migrate_workflow(top, workflow, new.spec)
    for task_id, diff in subprocesses.items():
        subprocess = workflow.subprocesses[task_id]
        spec = new.subprocess_specs[subprocess.spec.name]
        assert diff is not None
        migrate_workflow(diff, subprocess, spec)
    workflow.subprocess_specs = new.subprocess_specs


def _name(task: Any) -> str:
    spec = task.task_spec
    return str(getattr(spec, "bpmn_id", None) or spec.name)


def _state(task: Any) -> str:
    return {"COMPLETED": "done", "STARTED": "running", "READY": "waiting for someone"}.get(
        TaskState.get_name(task.state), TaskState.get_name(task.state).lower()
    )
