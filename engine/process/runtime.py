"""The engine loop: one step = load snapshot → apply one input → run engine steps → dump snapshot.

A step is deterministic: within `step_scope` task ids and times come from the step's seed and
business time, scripts run in the sandbox, and everything taken from outside goes through an
`EffectPort`. The same function therefore serves live steps and audit replay. This module knows
nothing of the database; `services.steps` persists what a step returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from ..errors import (
    InstanceTooDeep,
    MigrationRefused,
    RuleViolation,
    ScriptError,
    TaskNotReady,
    XianfengError,
)
from ..models.org import ROLE_PUBLIC
from . import determinism, migration
from .catalog import LoadedVersion
from .effects import EffectPort, canonical_copy
from .helpers import StepHelpers
from .projection import ReadyTask, WaitingTimer, end_of, ready_tasks, waiting_timers
from .scripting import SandboxEnvironment, SandboxScriptEngine, SandboxViolation, ScriptTimeout
from .serialization import text_of
from .task_properties import RETURN_TARGETS_PROPERTY, properties_of

# SpiffWorkflow's task iterators stop at depth 1000 and then report the workflow completed while
# a task still waits. Refuse any step that would take an instance this deep, well before that.
DEPTH_LIMIT = 800
TASK_COUNT_WARNING = 500


@dataclass(frozen=True)
class StepInput:
    """One input to an instance, as the event log records it."""

    kind: str  # start / complete / message / tick / return / cancel
    at: dt.datetime
    seed: str
    task_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    timers_at: dt.datetime | None = None


@dataclass
class StepResult:
    snapshot: str
    completed: bool
    end_event: str
    outcome: str
    ready: list[ReadyTask]
    timers: list[WaitingTimer]
    task_count: int
    max_depth: int
    title: str
    caught: bool = True
    ended_as: str = "completed"  # the instance's status when the step ends it (a cancel: cancelled)
    effects: list[dict[str, Any]] = field(default_factory=list)
    completed_spec: str = ""
    ready_before: set[str] = field(default_factory=set)
    public_before: set[str] = field(default_factory=set)
    timers_before: set[str] = field(default_factory=set)
    ready_ids: set[str] = field(default_factory=set)
    workflow: BpmnWorkflow | None = None  # only when the caller asked to keep it (audit replay)

    @property
    def new_ready(self) -> list[ReadyTask]:
        """Tasks that became ready in this step (only these are projected in full)."""
        return [task for task in self.ready if task.id not in self.ready_before]

    def public_gone(self, gone: set[str]) -> bool:
        return bool(gone & self.public_before)


ServiceCaller = Callable[[str, dict[str, Any]], Any]


def run_step(
    version: LoadedVersion,
    snapshot: str | None,
    step: StepInput,
    effects: EffectPort,
    services: ServiceCaller,
    helpers: StepHelpers,
    time_limit: float,
    *,
    resume: BpmnWorkflow | None = None,
    keep: bool = False,
    migrate_from: LoadedVersion | None = None,
    dump: bool = True,
) -> StepResult:
    """Apply `step` to the snapshot (None: a new instance) and return the new state.

    For audit replay only: `resume` is the workflow the previous replayed step kept (its dump is
    `snapshot`), continued instead of restoring `snapshot` again; `keep` returns the workflow in
    `StepResult.workflow` instead of releasing it. Live steps always restore and release.
    Without `dump` the result's snapshot is left empty: a what-if, which keeps the workflow and
    compares no state hashes, skips a quarter of a step's time.
    """
    determinism.install()
    step = replace(step, data=canonical_copy(step.data))
    with determinism.step_scope(step.at, step.seed, step.timers_at):
        environment = SandboxEnvironment(
            helpers=helpers.functions(effects),
            time_limit=time_limit,
            service_handler=lambda op, params: effects.call(op, params, lambda: services(op, params)),
        )
        engine = SandboxScriptEngine(environment)
        if step.kind == "migrate":  # loaded by the version it leaves, dumped by the one it moves to
            if migrate_from is None or snapshot is None:
                raise ValueError("a migration needs the version it leaves and the instance's snapshot")
            workflow = _load(migrate_from, snapshot, engine, step)
        else:
            workflow = _load(version, snapshot, engine, step) if resume is None else _resumed(resume, engine)
        kept = False
        try:
            result = _step(version, workflow, engine, effects, step, snapshot, dump)
            if keep and result.caught:
                result.workflow, kept = workflow, True
            return result
        finally:
            if not kept:
                release(workflow)


def _step(
    version: LoadedVersion,
    workflow: BpmnWorkflow,
    engine: SandboxScriptEngine,
    effects: EffectPort,
    step: StepInput,
    snapshot: str | None,
    dump: bool = True,
) -> StepResult:
    before = ready_by_lane(workflow) if snapshot is not None else {}
    timers_before = {t.id for t in waiting_timers(workflow)} if snapshot is not None else set()
    caught, completed_spec = _apply(workflow, step)
    if not caught:
        return _not_caught(snapshot or "")
    if step.kind == "migrate":
        _migrate(workflow, version)
    elif step.kind not in _ENDING_KINDS:
        _engine_steps(workflow)
    result = _result(version, workflow, engine, effects, completed_spec, set(before), dump)
    if step.kind in _ENDING_KINDS:
        result.ended_as = result.outcome = _ENDING_KINDS[step.kind]
    result.ready_before, result.timers_before = set(before), timers_before
    result.public_before = {task_id for task_id, lane in before.items() if lane == ROLE_PUBLIC}
    return result


def release(workflow: BpmnWorkflow) -> None:
    """Break the references from a finished-with workflow to its tasks.

    Tasks and their workflow refer to each other, so without this every step's few thousand
    objects wait for Python's cycle collector, whose runs then scan them on later steps. Cut
    here, they are freed by reference counting the moment the step returns.
    """
    for tree in (*workflow.subprocesses.values(), workflow):
        tree.tasks = {}
        tree.task_tree = None
        tree.last_task = None
    workflow.subprocesses = {}
    workflow.event_manager.tasks = {}
    workflow.event_manager.workflow = None


def _load(
    version: LoadedVersion, snapshot: str | None, engine: SandboxScriptEngine, step: StepInput
) -> BpmnWorkflow:
    if snapshot is None:
        workflow = BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=engine)
        workflow.task_tree.data.update(step.data)
        return workflow
    workflow = version.serializer.loads(snapshot)
    workflow.script_engine = engine  # the script engine is not part of a snapshot
    return workflow


def _resumed(workflow: BpmnWorkflow, engine: SandboxScriptEngine) -> BpmnWorkflow:
    workflow.script_engine = engine  # as after a restore: each step brings its own helpers and effects
    return workflow


# Steps that only act on the workflow as a whole (a migration's work is done after `_apply`).
_PLAIN_KINDS: dict[str, Callable[[BpmnWorkflow], Any] | None] = {
    "tick": lambda workflow: workflow.refresh_timers(),
    "start": None,
    "cancel": lambda workflow: workflow.cancel(),  # an administrator's intervention: every open task ends
    "withdraw": lambda workflow: workflow.cancel(),  # 撤回 by the one who started the case
    "migrate": None,
}
# Steps that end the case whatever its diagram would do next, and the status and outcome they leave.
_ENDING_KINDS = {"cancel": "cancelled", "withdraw": "withdrawn"}


def _apply(workflow: BpmnWorkflow, step: StepInput) -> tuple[bool, str]:
    if step.kind == "complete":
        task = _ready_human_task(workflow, step.task_id)
        task.task_spec.add_data_from_form(task, step.data)
        _guard(task.run)
        return True, task.task_spec.bpmn_id or ""
    if step.kind == "message":
        event = BpmnEvent(MessageEventDefinition(step.message), payload=step.data)
        caught = _guard(lambda: workflow.event_manager.catch(event, internal=False)) > 0
        return caught, ""
    if step.kind in _PLAIN_KINDS:
        action = _PLAIN_KINDS[step.kind]
        if action is not None:
            _guard(lambda: action(workflow))
        return True, ""
    if step.kind == "return":
        return True, _return_to(workflow, step)
    raise ValueError(f"unknown step kind {step.kind!r}")


def _migrate(workflow: BpmnWorkflow, version: LoadedVersion) -> None:
    found = migration.blockers(workflow, version)
    if found:
        raise MigrationRefused(
            f"the case cannot move to version {version.version}: " + "; ".join(str(b) for b in found),
            blockers=[{"element": b.element, "reason": b.reason} for b in found],
        )
    _guard(lambda: migration.migrate(workflow, version))


def _return_to(workflow: BpmnWorkflow, step: StepInput) -> str:
    """退回: reopen the latest completed run of a step the current task's diagram allows going back to."""
    task = _ready_human_task(workflow, step.task_id)
    target = str(step.data.get("target", ""))
    allowed = return_targets(task.task_spec)
    if target not in allowed:
        raise RuleViolation(
            f"{task.task_spec.bpmn_id} may return to {', '.join(allowed) or 'no earlier step'}, "
            f"not {target!r}",
            target=target,
        )
    done = [t for t in task.workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == target]
    if not done:
        raise RuleViolation(f"{target} has not run yet in this instance, so there is nothing to return to")
    _guard(lambda: workflow.reset_from_task_id(done[-1].id))
    return task.task_spec.bpmn_id or ""


def return_targets(task_spec: Any) -> list[str]:
    raw = properties_of(task_spec).get(RETURN_TARGETS_PROPERTY, "")
    return [name.strip() for name in raw.split(",") if name.strip()]


def _ready_human_task(workflow: BpmnWorkflow, task_id: str) -> Any:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError, SpiffWorkflowException):
        task = None
    if task is None:
        raise TaskNotReady(f"task {task_id} does not exist in this instance", task_id=task_id)
    if task.state != TaskState.READY or not task.task_spec.manual:
        state = TaskState.get_name(task.state)
        raise TaskNotReady(f"task {task_id} is not a ready user task (it is {state})", task_id=task_id)
    return task


def _engine_steps(workflow: BpmnWorkflow) -> None:
    _guard(workflow.do_engine_steps)
    prune_finished_subprocesses(workflow)


def prune_finished_subprocesses(workflow: BpmnWorkflow) -> int:
    """Drop called processes that finished normally from the snapshot.

    SpiffWorkflow keeps every finished subprocess (an evaluation with 60 answers, each approval
    round) and re-reads it on every later step, so a step would cost more the more rounds came
    before. Their results were already copied back to the caller, and what happened inside them is
    in the event log, so nothing a later step or an auditor needs is lost. Cancelled ones are kept.
    """
    pruned = 0
    for task_id, subprocess in list(workflow.subprocesses.items()):
        if task_id not in workflow.subprocesses:
            continue  # removed together with its parent subprocess
        parent = workflow.get_task_from_id(task_id)
        if parent is not None and parent.state == TaskState.COMPLETED and subprocess.is_completed():
            workflow.delete_subprocess(parent)
            pruned += 1
    return pruned


def _guard(action: Callable[[], Any]) -> Any:
    """Run engine work; turn failures of diagram code into a typed error (the caller rolls back)."""
    try:
        return action()
    except XianfengError:
        raise
    except (ScriptTimeout, SandboxViolation) as exc:  # raised where SpiffWorkflow bypasses the engine wrapper
        raise ScriptError(f"a diagram expression was stopped by the sandbox: {exc}") from exc
    except SpiffWorkflowException as exc:
        cause = exc.__cause__ or getattr(exc, "exception", None)
        if isinstance(cause, XianfengError):
            raise cause from exc
        raise ScriptError(_describe(exc)) from exc


def _describe(exc: SpiffWorkflowException) -> str:
    where = getattr(exc, "task_spec", None) or getattr(getattr(exc, "task", None), "task_spec", None)
    element = getattr(where, "bpmn_id", None) or ""
    notes = "; ".join(getattr(exc, "notes", []) or [])
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return f"{element}: {text}" + (f" ({notes})" if notes else "") if element else text


def _result(
    version: LoadedVersion,
    workflow: BpmnWorkflow,
    engine: SandboxScriptEngine,
    effects: EffectPort,
    completed_spec: str,
    ready_before: set[str],
    dump: bool = True,
) -> StepResult:
    task_count, depth = measure(workflow)
    if depth >= DEPTH_LIMIT:
        raise InstanceTooDeep(
            f"this step would take the instance to task depth {depth}; SpiffWorkflow stops seeing tasks at "
            f"depth 1000 and would report the instance completed. The step is refused: an administrator must "
            f"migrate or close the instance.",
            depth=depth,
            limit=DEPTH_LIMIT,
        )
    completed = workflow.is_completed()
    end_event, outcome = end_of(workflow) if completed else ("", "")
    ready_now = ready_by_lane(workflow)
    # Only tasks that became ready are projected, in tree order (the order of their inbox rows and
    # effects): most steps make none, and then need no walk of the tree.
    ready = _ready_human_tasks(workflow) if ready_now.keys() - ready_before else []
    return StepResult(
        snapshot=version.serializer.dumps(workflow) if dump else "",
        completed=completed,
        end_event=end_event,
        outcome=outcome,
        ready=ready_tasks(ready, engine, skip=ready_before),
        ready_ids=set(ready_now),
        timers=waiting_timers(workflow),
        task_count=task_count,
        max_depth=depth,
        title=_title(workflow),
        effects=effects.recorded,
        completed_spec=completed_spec,
    )


def _not_caught(snapshot: str) -> StepResult:
    return StepResult(snapshot, False, "", "", [], [], 0, 0, "", caught=False)


def _title(workflow: BpmnWorkflow) -> str:
    last = workflow.last_task
    data = last.data if last is not None else workflow.data
    title = data.get("instance_title") if isinstance(data, dict) else None
    return str(title)[:255] if title else ""


def measure(workflow: BpmnWorkflow) -> tuple[int, int]:
    """Task count and deepest task over the workflow and its subprocesses.

    One pass over each task map: a map lists a parent before its children (tasks are added as
    they are made), so each depth is its parent's plus one. A test checks this against a walk of
    the tree in every stored snapshot.
    """
    count, deepest = 0, 0
    for tree in (workflow, *workflow.subprocesses.values()):
        depths: dict[Any, int] = {}
        for task_id, task in tree.tasks.items():
            parent_depth = depths.get(task._parent)
            depth = 0 if parent_depth is None else parent_depth + 1
            depths[task_id] = depth
            deepest = max(deepest, depth)
        count += len(depths)
    return count, deepest


def _ready_human_tasks(workflow: BpmnWorkflow) -> list[Any]:
    """Ready user tasks in tree order (the order the inbox rows and their effects are made in)."""
    return list(workflow.get_tasks(state=TaskState.READY, manual=True))


def ready_by_lane(workflow: BpmnWorkflow) -> dict[str, str]:
    """The lane of each ready user task, by id, from one pass over the task maps.

    What was ready before a step is only ever used as a set, so it needs none of the tree-order
    walk `get_tasks` makes (a test checks both find the same tasks in every stored snapshot).
    """
    ready = TaskState.READY
    return {
        text_of(task.id): task.task_spec.lane or ""
        for tree in (workflow, *workflow.subprocesses.values())
        for task in tree.tasks.values()
        if task._state == ready and task.task_spec.manual
    }


__all__ = [
    "DEPTH_LIMIT",
    "StepInput",
    "StepResult",
    "measure",
    "run_step",
]
