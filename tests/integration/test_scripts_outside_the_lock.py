"""No diagram script, condition or decision runs while SQLite's write lock is held (issue 12): a
completion is computed ahead of the lock, its service operations tried and rolled back; under the
lock only the operations are done again. Another case's writer therefore commits while the step's
scripts run, and an operation whose result moved meanwhile makes the step computed again."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from lock_support import WRITER_WAIT, assert_no_script_kept_a_writer_out, watch_scripts
from support import CreationWalk, member_id_of

from xianfeng.engine.errors import StepContended
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, ModelPost
from xianfeng.engine.services import audit, case_ahead, service_calls, steps, tasks


def _at_the_committee(kernel: Kernel, candidate: str = "member1") -> CreationWalk:
    walk = CreationWalk(kernel, candidate=candidate)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    return walk


def test_another_writer_commits_while_the_scripts_around_a_service_task_run(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The committee's approval runs conditions and scripts before and after its service tasks (the
    member's standing, the post with its plate). Each script and condition waits, as a slow script
    would, until another thread's write transaction has committed: none of them holds the lock."""
    walk = _at_the_committee(kernel)
    seen = watch_scripts(kernel, monkeypatch, "script")
    outcome = walk.decide("approve")
    assert outcome.outcome == "established"
    assert_no_script_kept_a_writer_out(kernel, seen)
    assert audit.verify(kernel).ok


def _spy_compute(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each compute's service calls ahead of the lock; None for a compute under the lock."""
    calls: list[Any] = []
    real = steps.compute

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("ahead"))
        return real(*args, **kwargs)

    monkeypatch.setattr(case_ahead, "compute", spy)
    return calls


def _plate_of(kernel: Kernel, walk: CreationWalk) -> tuple[str, str]:
    """The plate the case's post holds, and the plate its last event says the step went on with."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        plate = session.execute(
            sa.select(ModelPost.plate_no).where(ModelPost.creation_instance_id == walk.instance_id)
        ).scalar_one()
        effects = session.execute(
            sa.select(Event.effects).where(Event.instance_id == walk.instance_id).order_by(Event.seq.desc())
        ).first()
    assert effects is not None
    (established,) = [e for e in json.loads(effects[0]) if e["op"] == "establish_post"]
    return plate, established["result"]["plate_no"]


def test_a_plate_taken_meanwhile_makes_the_step_computed_again_not_written_stale(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The approval tried establishing the post and went on with the next plate number. Before it
    was written (SQLite: before it had the write lock; PostgreSQL: before its operations were done
    again), another case's approval took that number, unhindered: the plate counter is not held
    while scripts run. Done again, the operation gives the following number: nothing computed is
    written, and the step is computed again (never under the lock) with the number the post gets."""
    kernel = backend
    first = _at_the_committee(kernel)
    second = _at_the_committee(kernel, candidate="member5")
    calls = _spy_compute(monkeypatch)
    real = tasks._prepare
    interleaved: list[Any] = []

    def prepare_then_interleave(*args: Any, **kwargs: Any) -> Any:
        prepared = real(*args, **kwargs)
        if not interleaved:
            interleaved.append(None)  # the interleaved approval prepares too: only once
            other = threading.Thread(target=lambda: interleaved.append(second.decide("approve")))
            other.start()
            other.join(WRITER_WAIT)
            assert not other.is_alive(), "the other case's approval waited for this step's locks"
        return prepared

    monkeypatch.setattr(tasks, "_prepare", prepare_then_interleave)
    outcome = first.decide("approve")
    assert outcome.outcome == "established" and interleaved[1].outcome == "established"
    assert None not in calls, "a compute ran its service operations as reached, under the lock"
    assert len(calls) == 3  # the first, the second's, the first again
    first_plate, first_went_on_with = _plate_of(kernel, first)
    second_plate, second_went_on_with = _plate_of(kernel, second)
    assert first_plate == first_went_on_with and second_plate == second_went_on_with
    assert first_plate != second_plate
    assert audit.verify(kernel).ok


def test_a_step_whose_service_results_keep_moving_is_refused_to_be_tried_again(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bounded: when every attempt finds another result, nothing is written and the asker is told
    to try again (never is the step run with its operations done as reached instead)."""
    kernel = backend
    walk = _at_the_committee(kernel)
    version = walk.show()["version"]
    monkeypatch.setattr(service_calls.CallsAhead, "done_again", lambda self, session, *calls, **keep: False)
    with pytest.raises(StepContended):
        walk.decide("approve")
    assert walk.show()["version"] == version
    with kernel.db.unit_of_work(write=False) as uow:
        member = member_id_of(kernel, "member1")
        posts = uow.session.execute(sa.select(ModelPost.id).where(ModelPost.member_id == member)).all()
    assert posts == []
    assert audit.verify(kernel).ok
