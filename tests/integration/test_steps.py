"""One step = one transaction, on SQLite and on PostgreSQL: races, refusals and failures leave
every stored row as it was."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import object_session
from support import GOOD, CreationWalk, actor, table_contents

from xianfeng.engine.errors import (
    FormInvalid,
    NotAllowed,
    NotFound,
    ServiceTaskError,
    StaleSubmission,
    XianfengError,
)
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, ProcessInstance
from xianfeng.engine.process import service_tasks
from xianfeng.engine.services import steps, tasks


@pytest.fixture
def started(backend: Kernel) -> CreationWalk:
    walk = CreationWalk(backend)
    walk.start()
    return walk


def test_two_concurrent_completions_of_one_task_exactly_one_wins(started: CreationWalk) -> None:
    kernel = started.kernel
    task = started.task_of("member2", "Task_member_evaluation")
    who = actor(kernel, "member2")
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def attempt() -> None:
        barrier.wait()
        try:
            results.append(
                tasks.complete(kernel, who, task.id, dict(GOOD), expected_version=task.instance_version)
            )
        except XianfengError as exc:
            results.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], StaleSubmission)
    assert started.show()["version"] == task.instance_version + 1


def test_double_submission_is_refused_as_stale_and_changes_nothing(started: CreationWalk) -> None:
    kernel = started.kernel
    task = started.task_of("member2", "Task_member_evaluation")
    tasks.complete(
        kernel, actor(kernel, "member2"), task.id, dict(GOOD), expected_version=task.instance_version
    )
    before = table_contents(kernel)
    with pytest.raises(StaleSubmission, match="already completed by member2"):
        tasks.complete(
            kernel, actor(kernel, "member2"), task.id, dict(GOOD), expected_version=task.instance_version
        )
    assert table_contents(kernel) == before


def test_who_completed_a_task_is_found_by_index_not_by_reading_the_whole_log(kernel: Kernel) -> None:
    """A stale page asks who did the task; with years of events that must not scan the log."""
    query = sa.select(Event.actor).where(Event.task_id == "t", Event.kind == "complete")
    with kernel.db.unit_of_work(write=False) as uow:
        compiled = query.compile(uow.session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " ".join(
            str(row[-1]) for row in uow.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))
        )
    assert "USING INDEX ix_event_task_id" in plan, plan


def test_a_step_that_does_not_end_its_instance_leaves_the_indexed_status_alone(started: CreationWalk) -> None:
    """Setting an indexed column, even to its own value, rewrites index pages on every step."""
    kernel = started.kernel
    updates: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        # On PostgreSQL the update goes with the event, in the WITH of its statement.
        if "UPDATE process_instance SET" in statement:
            updates.append(statement[statement.index("UPDATE process_instance SET") :])

    sa.event.listen(kernel.db.engine, "before_cursor_execute", seen)
    try:
        started.complete("member2", dict(GOOD), "Task_member_evaluation")
    finally:
        sa.event.remove(kernel.db.engine, "before_cursor_execute", seen)
    assert len(updates) == 1 and "state_json" in updates[0]
    assert "status" not in updates[0].split("WHERE")[0]


def test_a_submission_made_on_an_old_version_is_stale_only_when_its_own_task_changed(
    started: CreationWalk,
) -> None:
    kernel = started.kernel
    first = started.task_of("member2", "Task_member_evaluation")
    second = started.task_of("member3", "Task_member_evaluation")
    tasks.complete(
        kernel, actor(kernel, "member2"), first.id, dict(GOOD), expected_version=first.instance_version
    )
    before = table_contents(kernel)
    with pytest.raises(StaleSubmission, match="already completed by member2"):
        tasks.complete(
            kernel, actor(kernel, "member2"), first.id, dict(GOOD), expected_version=first.instance_version
        )
    assert table_contents(kernel) == before
    tasks.complete(  # another evaluator's step left this page good
        kernel, actor(kernel, "member3"), second.id, dict(GOOD), expected_version=second.instance_version
    )


def test_form_errors_name_the_field_and_change_nothing(started: CreationWalk) -> None:
    kernel = started.kernel
    task = started.task_of("member2", "Task_member_evaluation")
    before = table_contents(kernel)
    with pytest.raises(FormInvalid) as refused:
        tasks.complete(kernel, actor(kernel, "member2"), task.id, {"political": 9, "work": 5, "bogus": 1})
    errors = refused.value.errors
    assert set(errors) == {"political", "service", "conduct", "discipline", "bogus"}
    assert "政治素质优" in errors["political"]
    assert table_contents(kernel) == before


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("committee", "needs the role 'member'"),
        ("member5", "assigned to another person"),
        ("secretary1", "assigned to another person"),
    ],
)
def test_acting_outside_role_or_assignment_is_refused(
    started: CreationWalk, username: str, message: str
) -> None:
    kernel = started.kernel
    task = started.task_of("member2", "Task_member_evaluation")
    before = table_contents(kernel)
    with pytest.raises(NotAllowed, match=message):
        tasks.complete(kernel, actor(kernel, username), task.id, dict(GOOD))
    assert table_contents(kernel) == before


def test_another_branch_cannot_act_on_a_branch_task(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    task = walk.task_of("secretary1", "Task_determine_list")
    before = table_contents(backend)
    with pytest.raises(NotAllowed, match="another branch"):
        tasks.complete(
            backend,
            actor(backend, "secretary2"),
            task.id,
            {"include": False, "post_title": "x岗", "responsibilities": "xxxxxxxxxxxx"},
        )
    assert table_contents(backend) == before


def test_an_unknown_task_is_not_found(backend: Kernel) -> None:
    with pytest.raises(NotFound):
        tasks.complete(backend, actor(backend, "member2"), "00000000-0000-0000-0000-000000000000", {})


def test_a_failure_in_the_middle_of_a_step_leaves_every_table_unchanged(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    real = service_tasks.SERVICE_TASKS["establish_post"]

    def establish_then_fail(ctx: Any, **params: Any) -> dict[str, Any]:
        real.run(ctx, **params)  # the register row and counters are written...
        raise ServiceTaskError("the badge printer is offline")  # ...then the step fails

    monkeypatch.setitem(
        service_tasks.SERVICE_TASKS,
        "establish_post",
        service_tasks.ServiceOperation(establish_then_fail, real.params, real.summary),
    )
    before = table_contents(backend)
    with pytest.raises(ServiceTaskError, match="badge printer"):
        walk.decide("approve")
    assert table_contents(backend) == before


def test_start_refuses_a_member_of_another_branch_as_candidate(backend: Kernel) -> None:
    walk = CreationWalk(backend, candidate="member15")  # member15 belongs to the second branch
    before = table_contents(backend)
    with pytest.raises(FormInvalid) as refused:
        walk.start()
    assert "candidate_member_id" in refused.value.errors
    assert table_contents(backend) == before


def test_only_the_start_lane_role_may_start(backend: Kernel) -> None:
    walk = CreationWalk(backend, secretary="committee")
    with pytest.raises(NotAllowed, match="started by the role 'branch'"):
        walk.start()


def test_an_instance_moved_under_a_step_is_refused_and_nothing_of_the_step_stays(
    started: CreationWalk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case row is updated only where it still has the version the step was computed from (on
    PostgreSQL in the event's own statement): a row moved meanwhile refuses the step with
    StaleSubmission and leaves no event, no head and no inbox change, on both databases."""
    kernel = started.kernel
    task = started.task_of("member2", "Task_member_evaluation")
    real = steps._instance_values

    def moved_meanwhile(instance: Any, *args: Any) -> Any:
        session = object_session(instance)
        assert session is not None
        session.connection().execute(  # as a write that got past the case's lock would have
            sa.update(ProcessInstance)
            .where(ProcessInstance.id == instance.id)
            .values(version=ProcessInstance.version + 100)
            .execution_options(xianfeng_chained=True)
        )
        return real(instance, *args)

    before = table_contents(kernel)
    monkeypatch.setattr(steps, "_instance_values", moved_meanwhile)
    with pytest.raises(StaleSubmission, match="changed by someone else meanwhile"):
        tasks.complete(kernel, actor(kernel, "member2"), task.id, dict(GOOD))
    after = table_contents(kernel)
    assert after["event"] == before["event"] and after["chain_head"] == before["chain_head"]
    assert after["human_task"] == before["human_task"]
