"""Deadlines' ticks computed before they fall due and written when they pass (`fires_ahead`)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from support import GOOD, CreationWalk, actor, behind_the_back, started_at_one_deadline

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, ProcessInstance
from xianfeng.engine.services import audit, calendar_admin, case_ahead, fires_ahead, kept_ahead, timers

START = dt.datetime(2026, 11, 25, 9, tzinfo=CHINA_TZ)
AHEAD = dt.timedelta(seconds=60)


def _started(kernel: Kernel, count: int = 1) -> tuple[list[CreationWalk], dt.datetime]:
    """`count` nominations started at one moment, waiting at their one evaluation deadline."""
    _unhurried(kernel)
    kernel.clock.set(START)  # type: ignore[attr-defined]
    return started_at_one_deadline(kernel, ("member1", "member5", "member9")[:count])


def _unhurried(kernel: Kernel) -> None:
    """A round's budget that a first parse of the diagrams on a busy test machine cannot use up."""
    kernel.settings = replace(kernel.settings, tick_ahead_budget=60.0)


def _ticks(kernel: Kernel, instance_id: int) -> list[Event]:
    with kernel.db.unit_of_work(write=False) as uow:
        statement = sa.select(Event).where(Event.instance_id == instance_id, Event.kind == "tick")
        return list(uow.session.execute(statement).scalars())


def _no_step_computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record every case a step is computed for from now on."""
    computed: list[int] = []
    real = case_ahead.compute

    def counting(session: Any, kernel: Kernel, instance: Any, *args: Any, **kwargs: Any) -> Any:
        computed.append(instance.id)
        return real(session, kernel, instance, *args, **kwargs)

    monkeypatch.setattr(case_ahead, "compute", counting)
    return computed


def test_ticks_computed_before_the_deadline_are_written_when_it_passes_without_computing(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    walks, due = _started(backend, 3)
    assert fires_ahead.compute_ahead(backend, due - AHEAD) == 3
    assert fires_ahead.compute_ahead(backend, due - AHEAD / 2) == 0  # held: not computed twice
    assert all(_ticks(backend, w.instance_id) == [] for w in walks)  # nothing written before it
    computed = _no_step_computed(monkeypatch)
    report = timers.tick(backend, due + dt.timedelta(seconds=2))
    assert sorted(i for i, _seq in report.fired) == sorted(w.instance_id for w in walks)
    assert computed == []  # no script ran at the deadline: every tick was taken as computed
    for walk in walks:
        (tick,) = _ticks(backend, walk.instance_id)
        assert tick.business_time == due + fires_ahead.AFTER_DEADLINE  # it ran at its deadline
        assert walk.show()["status"] == "running"
    assert len(backend.fires_ahead) == 0
    checked = audit.verify(backend)  # replay computes each tick again from the log: the same
    assert checked.ok, checked.problems


def test_a_case_that_moved_after_its_tick_was_computed_is_computed_again_at_the_deadline(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An evaluator answers in the minute before the deadline: the tally must count the answer."""
    (walk,), due = _started(backend)
    assert fires_ahead.compute_ahead(backend, due - AHEAD) == 1
    backend.clock.set(due - AHEAD / 2)  # type: ignore[attr-defined]
    walk.complete("member2", dict(GOOD), "Task_member_evaluation")  # the case moves meanwhile
    computed = _no_step_computed(monkeypatch)
    at = due + dt.timedelta(seconds=1)
    assert [i for i, _seq in timers.tick(backend, at).fired] == [walk.instance_id]
    assert computed == [walk.instance_id]  # computed again, from the case as the answer left it
    (tick,) = _ticks(backend, walk.instance_id)
    assert tick.business_time == at
    tally = [effect for effect in json.loads(tick.effects) if effect.get("op") == "tally_answers"]
    assert tally and tally[0]["result"]["Task_member_evaluation"]["count"] == 1
    assert audit.verify(backend).ok


def test_a_holiday_recorded_after_a_tick_was_computed_has_it_computed_again(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tick counts working days (the next task's deadline): an administrator's holiday recorded
    in the minute before its deadline must count."""
    (walk,), due = _started(backend)
    assert fires_ahead.compute_ahead(backend, due - AHEAD) == 1
    day = (due + dt.timedelta(days=1)).astimezone(CHINA_TZ).date()
    calendar_admin.add_holiday(backend, actor(backend, "admin"), day, "holiday", "临时假日")
    computed = _no_step_computed(monkeypatch)
    at = due + dt.timedelta(seconds=1)
    assert [i for i, _seq in timers.tick(backend, at).fired] == [walk.instance_id]
    assert computed == [walk.instance_id]
    (tick,) = _ticks(backend, walk.instance_id)
    assert tick.business_time == at
    assert audit.verify(backend).ok


def test_ticks_computed_for_a_deadline_long_past_are_dropped(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server down through the deadline fires the case at its own time, not at the deadline."""
    (walk,), due = _started(backend)
    assert fires_ahead.compute_ahead(backend, due - AHEAD) == 1
    computed = _no_step_computed(monkeypatch)
    late = due + dt.timedelta(seconds=backend.settings.tick_ahead_seconds + 1)
    assert [i for i, _seq in timers.tick(backend, late).fired] == [walk.instance_id]
    assert computed == [walk.instance_id]
    (tick,) = _ticks(backend, walk.instance_id)
    assert tick.business_time == late


def test_computing_ahead_keeps_to_its_window_and_its_budget(backend: Kernel) -> None:
    (walk,), due = _started(backend)
    window = dt.timedelta(seconds=backend.settings.tick_ahead_seconds)
    assert fires_ahead.compute_ahead(backend, due - window - dt.timedelta(seconds=1)) == 0  # too early
    assert len(backend.fires_ahead) == 0
    for setting in ("tick_ahead_budget", "tick_ahead_seconds"):  # no time this round; turned off
        other = Kernel(
            replace(backend.settings, **{setting: 0.0}), backend.db, backend.clock, backend.catalog
        )
        assert fires_ahead.compute_ahead(other, due - AHEAD) == 0
        assert len(other.fires_ahead) == 0
    assert fires_ahead.compute_ahead(backend, due - AHEAD) == 1
    version = _version(backend, walk.instance_id)
    assert backend.fires_ahead.holds(walk.instance_id, version)
    assert not backend.fires_ahead.holds(walk.instance_id, version - 1)


def _version(kernel: Kernel, instance_id: int) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.get_one(ProcessInstance, instance_id).version)


def test_a_case_with_a_message_waiting_is_left_to_its_tick(backend: Kernel) -> None:
    """Messages go before the tick: such a case is not computed ahead."""
    (walk,), due = _started(backend)
    behind_the_back(
        backend,
        sa.update(ProcessInstance).where(ProcessInstance.id == walk.instance_id).values(pending_messages=1),
    )
    assert fires_ahead.compute_ahead(backend, due - AHEAD) == 0
    assert len(backend.fires_ahead) == 0


def test_the_servers_ticker_computes_ahead_each_round_and_fires_at_the_deadline(kernel: Kernel) -> None:
    from xianfeng.web.server import Ticker

    (walk,), due = _started(kernel)
    ticker = Ticker(kernel, interval=1.0)
    kernel.clock.set(due - AHEAD)  # type: ignore[attr-defined]
    ticker.tick_once()
    assert len(kernel.fires_ahead) == 1 and _ticks(kernel, walk.instance_id) == []
    kernel.clock.set(due + dt.timedelta(milliseconds=300))  # type: ignore[attr-defined]
    ticker.tick_once()
    (tick,) = _ticks(kernel, walk.instance_id)
    assert tick.business_time == due + fires_ahead.AFTER_DEADLINE
    assert len(kernel.fires_ahead) == 0


def test_each_rounds_look_for_coming_deadlines_reads_the_timers_index(kernel: Kernel) -> None:
    """Every worker's ticker asks every second: it must not read every open case's timers."""
    query = fires_ahead.timers_before(START + AHEAD)
    with kernel.db.unit_of_work(write=False) as uow:
        compiled = query.compile(uow.session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " ".join(
            str(row[-1]) for row in uow.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))
        )
    assert "ix_timer_due_at (due_at<?)" in plan, plan


def test_a_full_store_computes_no_more_ahead(backend: Kernel, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its bound a ticker does not compute ticks it cannot keep, round after round."""
    walks, due = _started(backend, 3)
    monkeypatch.setattr(kept_ahead, "MAX_KEPT", 2)
    computed = _no_step_computed(monkeypatch)
    assert fires_ahead.compute_ahead(backend, due - AHEAD) == 2
    assert fires_ahead.compute_ahead(backend, due - AHEAD / 2) == 0
    assert computed == [walks[0].instance_id, walks[1].instance_id]
