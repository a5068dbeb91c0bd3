"""A step's workflow is freed the moment the step returns, by reference counting alone: Python's
cycle collector never has to find it, so later steps do not pay for scanning it."""

from __future__ import annotations

import gc
import uuid
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from support import GOOD, CreationWalk

from xianfeng.engine.errors import TaskNotReady
from xianfeng.engine.models import ProcessInstance
from xianfeng.engine.process import runtime
from xianfeng.engine.services import steps


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _watch_released(monkeypatch: pytest.MonkeyPatch) -> list[list[weakref.ref[Any]]]:
    """Weak references to each released workflow, its subprocesses and every one of their tasks."""
    watched: list[list[weakref.ref[Any]]] = []
    real = runtime.release

    def watching(workflow: Any) -> None:
        trees = [workflow, *workflow.subprocesses.values()]
        watched.append([weakref.ref(obj) for tree in trees for obj in (tree, *tree.tasks.values())])
        real(workflow)

    monkeypatch.setattr(runtime, "release", watching)
    return watched


def test_a_completed_step_leaves_no_workflow_or_task_for_the_cycle_collector(
    walk: CreationWalk, monkeypatch: pytest.MonkeyPatch, no_cycle_collector: None
) -> None:
    walk.start()
    watched = _watch_released(monkeypatch)
    walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    assert len(watched) == 1 and len(watched[0]) > 20  # the instance with its evaluation subprocess
    alive = [ref() for ref in watched[0] if ref() is not None]
    assert alive == []


def test_a_step_refused_inside_the_engine_is_freed_as_well(
    walk: CreationWalk, monkeypatch: pytest.MonkeyPatch, no_cycle_collector: None
) -> None:
    kernel = walk.kernel
    walk.start()
    watched = _watch_released(monkeypatch)
    with kernel.db.unit_of_work(write=False) as uow:
        instance = uow.session.get(ProcessInstance, walk.instance_id)
        assert instance is not None
        version = kernel.catalog.get(uow.session, instance.process_version_id)
        step = steps.step_input_for(instance, "complete", kernel.clock.now(), task_id=str(uuid.uuid4()))
        with pytest.raises(TaskNotReady, match="does not exist in this instance"):
            steps.compute(uow.session, kernel, instance, version, step)
    assert len(watched) == 1 and len(watched[0]) > 20
    assert all(ref() is None for ref in watched[0])
