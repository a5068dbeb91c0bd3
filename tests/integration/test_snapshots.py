"""Snapshots are restored on every step, so the serializer restores tasks through its own fast
converters. They must give exactly what SpiffWorkflow's converters give: the same bytes when
dumped, and the same objects when loaded, down to key order and to which nested values two tasks
share (SpiffWorkflow shares nested data between tasks, and a later script may rely on it)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from support import at_rectification_report

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.process.plain_snapshots import is_plain
from xianfeng.engine.process.runtime import measure, ready_by_lane
from xianfeng.engine.process.serialization import SnapshotSerializer


@pytest.fixture
def snapshots(kernel: Kernel, monkeypatch: pytest.MonkeyPatch) -> dict[str, SnapshotSerializer]:
    """Every snapshot a step restored on the way to a rectification report: creation with its
    evaluations, notice timer and approvals, then an assessment with survey, grading and plan."""
    seen: dict[str, SnapshotSerializer] = {}
    original = SnapshotSerializer.loads

    def recording(self: SnapshotSerializer, snapshot: str) -> BpmnWorkflow:
        seen.setdefault(snapshot, self)
        return original(self, snapshot)

    monkeypatch.setattr(SnapshotSerializer, "loads", recording)
    at_rectification_report(kernel)
    monkeypatch.undo()
    return seen


def _sharing(values: list[Any]) -> list[int]:
    """Which nested containers are the same object, as first-seen numbers in walking order."""
    numbers: dict[int, int] = {}
    found: list[int] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict | list):
            found.append(numbers.setdefault(id(value), len(numbers)))
            for item in value.values() if isinstance(value, dict) else value:
                walk(item)

    for value in values:
        walk(value)
    return found


def _shape(workflow: BpmnWorkflow) -> dict[str, Any]:
    trees = [workflow, *workflow.subprocesses.values()]
    tasks = [task for tree in trees for task in tree.tasks.values()]
    return {
        "tasks": [
            (
                str(t.id),
                str(t._parent),
                [str(c) for c in t._children],
                t.state,
                t.task_spec.name,
                t.triggered,
                t.last_state_change,
                json.dumps(t.data, ensure_ascii=False, default=repr),  # key order at every level
                json.dumps(t.internal_data, ensure_ascii=False, default=repr),
            )
            for t in tasks
        ],
        "sharing": _sharing([value for t in tasks for value in (t.data, t.internal_data)]),
        "roots": [str(tree.task_tree.id) for tree in trees],
        "data": [json.dumps(tree.data, ensure_ascii=False, default=repr) for tree in trees],
        "last": [str(tree.last_task.id) if tree.last_task else None for tree in trees],
        "waiting": sorted(str(key) for key in workflow.event_manager.tasks),
        "subprocesses": list(map(str, workflow.subprocesses)),
    }


def test_fast_task_converters_restore_what_spiffworkflow_restores(
    snapshots: dict[str, SnapshotSerializer],
) -> None:
    assert len(snapshots) >= 15
    assert any(json.loads(s)["subprocesses"] for s in snapshots), "no snapshot had a called process"
    assert all(is_plain(s, json.loads(s)) for s in snapshots), "each took the one-pass path"
    for snapshot, fast in snapshots.items():
        stock = SnapshotSerializer(fast.top_spec, fast.subprocess_specs, stock_tasks=True)
        ours, theirs = fast.loads(snapshot), stock.loads(snapshot)
        assert _shape(ours) == _shape(theirs)
        assert fast.dumps(ours) == stock.dumps(theirs) == snapshot


def test_fast_converters_dump_what_spiffworkflow_dumps_after_a_step(
    snapshots: dict[str, SnapshotSerializer],
) -> None:
    """Dumping a workflow that was changed in memory (not just loaded) gives the stock bytes too."""
    for snapshot, fast in list(snapshots.items())[:10]:
        stock = SnapshotSerializer(fast.top_spec, fast.subprocess_specs, stock_tasks=True)
        workflow = fast.loads(snapshot)
        for task in workflow.get_tasks():
            task.data["touched"] = {"by": str(task.id)[:8], "nested": [1, {"two": 2}]}
        assert fast.dumps(workflow) == stock.dumps(workflow)


def test_a_snapshot_holding_a_typed_value_is_restored_through_the_registry(
    snapshots: dict[str, SnapshotSerializer],
) -> None:
    """SpiffWorkflow may keep a typed value (a datetime, a timedelta) in a task's internal data:
    such a snapshot is not plain, and restores exactly as SpiffWorkflow restores it."""
    snapshot, fast = next(iter(snapshots.items()))
    stock = SnapshotSerializer(fast.top_spec, fast.subprocess_specs, stock_tasks=True)
    workflow = fast.loads(snapshot)
    task = next(iter(workflow.tasks.values()))
    task.internal_data["waited"] = dt.timedelta(days=2, seconds=5)
    task.internal_data["since"] = dt.datetime(2026, 12, 1, 9, 30)
    typed = fast.dumps(workflow)
    assert typed == stock.dumps(workflow)
    assert not is_plain(typed, json.loads(typed))
    ours, theirs = fast.loads(typed), stock.loads(typed)
    assert _shape(ours) == _shape(theirs)
    assert next(iter(ours.tasks.values())).internal_data["since"] == dt.datetime(2026, 12, 1, 9, 30)


def test_text_that_looks_like_a_typed_value_keeps_a_snapshot_plain(
    snapshots: dict[str, SnapshotSerializer],
) -> None:
    """A string cannot pass for a typed value: its quotes are escaped in the JSON."""
    snapshot, fast = next(iter(snapshots.items()))
    stock = SnapshotSerializer(fast.top_spec, fast.subprocess_specs, stock_tasks=True)
    workflow = fast.loads(snapshot)
    workflow.task_tree.data["note"] = '{"typename": "datetime", "value": "2026-12-01"}'
    plain = fast.dumps(workflow)
    assert plain == stock.dumps(workflow)
    assert is_plain(plain, json.loads(plain))
    assert _shape(fast.loads(plain)) == _shape(stock.loads(plain))


def test_the_ready_tasks_found_in_one_pass_are_those_the_tree_walk_finds(
    snapshots: dict[str, SnapshotSerializer],
) -> None:
    for snapshot, fast in snapshots.items():
        workflow = fast.loads(snapshot)
        walked = {
            str(t.id): t.task_spec.lane or "" for t in workflow.get_tasks(state=TaskState.READY, manual=True)
        }
        assert ready_by_lane(workflow) == walked
    assert any(ready_by_lane(f.loads(s)) for s, f in snapshots.items()), "no snapshot had a ready task"


def _walked_measure(workflow: BpmnWorkflow) -> tuple[int, int]:
    count, deepest = 0, 0
    for tree in [workflow, *workflow.subprocesses.values()]:
        stack = [(tree.task_tree, 0)]
        while stack:
            task, depth = stack.pop()
            count += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in task.children)
    return count, deepest


def test_task_count_and_depth_from_the_task_maps_are_those_of_a_tree_walk(
    snapshots: dict[str, SnapshotSerializer],
) -> None:
    for snapshot, fast in snapshots.items():
        workflow = fast.loads(snapshot)
        assert measure(workflow) == _walked_measure(workflow)
    assert max(measure(f.loads(s))[1] for s, f in snapshots.items()) > 10
