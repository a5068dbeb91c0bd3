"""Completions on SQLite are computed before the write lock is taken and written only if the
instance has not moved meanwhile (and their service operations, done again under the lock, give
the results the step went on with); otherwise they are computed ahead again, with the deliveries
of any messages waiting for the case. Either way the result is the one a locked step would give."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from support import GOOD, CreationWalk, actor

from xianfeng.engine.actor import Actor
from xianfeng.engine.errors import StaleSubmission
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import PendingMessage, ProcessInstance
from xianfeng.engine.services import audit, case_ahead, steps, tasks
from xianfeng.engine.services.service_calls import CallsAhead


@pytest.fixture
def started(kernel: Kernel) -> CreationWalk:
    walk = CreationWalk(kernel)
    walk.start()
    return walk


def _spy_compute(monkeypatch: pytest.MonkeyPatch) -> list[CallsAhead | None]:
    """Record each compute's service calls: computed ahead, or None under the lock."""
    calls: list[CallsAhead | None] = []
    real = steps.compute

    def spy(*args: Any, ahead: CallsAhead | None = None, **kwargs: Any) -> Any:
        calls.append(ahead)
        return real(*args, ahead=ahead, **kwargs)

    monkeypatch.setattr(case_ahead, "compute", spy)
    return calls


def _operations(calls: list[CallsAhead | None]) -> list[list[str] | None]:
    """The operations each compute ahead called; None for one under the lock."""
    return [None if c is None else [call.op for call in c.calls] for c in calls]


def test_while_another_thread_writes_a_completion_is_computed_ahead_then_written(
    started: CreationWalk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real holder of the write turn: the completion computes meanwhile, then waits its turn."""
    kernel = started.kernel
    turns = kernel.db.writer_turns
    assert turns is not None
    task = started.task_of("member2", "Task_member_evaluation")
    calls = _spy_compute(monkeypatch)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with turns.turn():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    threading.Timer(0.3, release.set).start()
    t0 = time.monotonic()
    outcome = tasks.complete(kernel, actor(kernel, "member2"), task.id, dict(GOOD))
    holder.join()
    assert _operations(calls) == [[]]
    assert time.monotonic() - t0 >= 0.25  # it wrote only once the holder had finished
    assert outcome.version == started.show()["version"]
    assert audit.verify(kernel).ok


def test_a_plain_completion_is_computed_once_ahead_of_the_lock(
    started: CreationWalk, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _spy_compute(monkeypatch)
    version = started.show()["version"]
    started.complete("member2", dict(GOOD), "Task_member_evaluation")
    assert _operations(calls) == [[]]
    assert started.show()["version"] == version + 1


def test_a_step_that_reaches_service_tasks_is_computed_once_ahead_of_the_lock(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    calls = _spy_compute(monkeypatch)
    # The committee's approval reaches service tasks (the member's standing is checked again, then
    # the post is established): tried ahead and rolled back, then done again under the lock.
    walk.decide("approve")
    assert _operations(calls) == [["member_standing", "establish_post", "notify_case"]]
    assert walk.show()["status"] == "completed"
    assert audit.verify(kernel).ok


def test_a_step_computed_ahead_is_dropped_when_the_instance_moved_meanwhile(
    started: CreationWalk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the read and the write another evaluator completes a sibling task: the step
    computed from the old state must not be written over it; it is computed again."""
    kernel = started.kernel
    first = started.task_of("member2", "Task_member_evaluation")
    other = started.task_of("member3", "Task_member_evaluation")
    version = started.show()["version"]
    real = tasks._prepare
    interleaved: list[Any] = []

    def prepare_then_interleave(*args: Any, **kwargs: Any) -> Any:
        prepared = real(*args, **kwargs)
        if not interleaved:
            interleaved.append(None)  # the interleaved completion prepares too: only once
            interleaved[0] = tasks.complete(kernel, actor(kernel, "member3"), other.id, dict(GOOD))
        return prepared

    monkeypatch.setattr(tasks, "_prepare", prepare_then_interleave)
    outcome = tasks.complete(kernel, actor(kernel, "member2"), first.id, dict(GOOD))
    assert interleaved and interleaved[0].version == version + 1
    assert outcome.version == version + 2
    left = [
        t for t in started.show()["ready_tasks"] if t["form"] == "evaluation.json" and t["role"] != "public"
    ]
    assert len(left) == 1  # member4's evaluation, and only it
    assert audit.verify(kernel).ok


def test_a_stale_page_is_refused_even_when_the_instance_moved_between_read_and_write(
    started: CreationWalk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's task is checked again under the lock when the step is computed again: the same
    task, completed from another tab between the read and the write, is not completed twice."""
    kernel = started.kernel
    first = started.task_of("member2", "Task_member_evaluation")
    real = tasks._prepare
    interleaved: list[Any] = []

    def prepare_then_interleave(*args: Any, **kwargs: Any) -> Any:
        prepared = real(*args, **kwargs)
        if not interleaved:
            interleaved.append(None)  # the interleaved completion prepares too: only once
            interleaved[0] = tasks.complete(kernel, actor(kernel, "member2"), first.id, dict(GOOD))
        return prepared

    monkeypatch.setattr(tasks, "_prepare", prepare_then_interleave)
    with pytest.raises(StaleSubmission, match="already completed by member2"):
        tasks.complete(
            kernel, actor(kernel, "member2"), first.id, dict(GOOD), expected_version=first.instance_version
        )
    assert interleaved[0].version == first.instance_version + 1  # done once, by the other tab


def test_a_message_filed_meanwhile_is_not_lost(
    started: CreationWalk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message for the instance (an objection) is an event of the instance, filed with its
    message count raised. A step computed ahead without it must not write the old count back: it
    is computed again under the lock, and the message stays waiting for the instance to listen."""
    kernel = started.kernel
    task = started.task_of("member2", "Task_member_evaluation")
    calls = _spy_compute(monkeypatch)
    real = tasks._prepare

    def prepare_then_message(*args: Any, **kwargs: Any) -> Any:
        prepared = real(*args, **kwargs)
        if len(calls) == 1:
            with kernel.db.unit_of_work() as uow:
                instance = uow.session.get(ProcessInstance, started.instance_id)
                assert instance is not None
                uow.session.add(
                    PendingMessage(
                        instance_id=instance.id,
                        name="objection_filed",
                        created_at=kernel.clock.now(),
                        payload={"text": "候选人服务态度有待改进。"},
                    )
                )
                instance.pending_messages += 1
                meta = steps.EventMeta(kind="objection", actor=Actor.public(), role="public")
                steps.record_verb(uow.session, kernel, instance, meta)
                uow.commit()
        return prepared

    monkeypatch.setattr(tasks, "_prepare", prepare_then_message)
    tasks.complete(kernel, actor(kernel, "member2"), task.id, dict(GOOD))
    # The step, then the step again with the delivery it tried (not caught: not taken).
    assert _operations(calls) == [[], [], []]
    with kernel.db.unit_of_work(write=False) as uow:
        instance = uow.session.get(ProcessInstance, started.instance_id)
        assert instance is not None and instance.pending_messages == 1
        waiting = uow.session.execute(
            sa.select(PendingMessage.name).where(PendingMessage.delivered_at.is_(None))
        ).scalars()
        assert list(waiting) == ["objection_filed"]
    assert audit.verify(kernel).ok
