"""Timers as rows and `tick`, and notice periods counted on China's working-day calendar."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from support import CreationWalk, actor, tick_events_per_case

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import ScriptError
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, PublicNotice, TimerRow
from xianfeng.engine.services import audit, calendar_admin, case_ahead, notifications, timers


def _at_notice(kernel: Kernel, start: dt.datetime) -> CreationWalk:
    kernel.clock.set(start)  # type: ignore[attr-defined]
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    return walk


def _notice(kernel: Kernel) -> PublicNotice:
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(sa.select(PublicNotice)).scalar_one()


def test_tick_fires_a_timer_only_once_it_is_due(backend: Kernel) -> None:
    walk = _at_notice(backend, dt.datetime(2026, 11, 25, 9, tzinfo=CHINA_TZ))
    ends = _notice(backend).ends_at
    assert timers.tick(backend, ends - dt.timedelta(seconds=1)).fired == []
    assert timers.tick(backend, ends).fired == []  # SpiffWorkflow fires strictly after the due time
    assert _notice(backend).status == "active"
    report = timers.tick(backend, ends + dt.timedelta(microseconds=1))
    assert [instance_id for instance_id, _seq in report.fired] == [walk.instance_id]
    assert _notice(backend).outcome == "passed"
    with backend.db.unit_of_work(write=False) as uow:
        assert (
            uow.session.execute(sa.select(TimerRow).where(TimerRow.spec_id == "Gateway_notice_wait")).first()
            is None
        )


def test_concurrent_ticks_fire_each_timer_once(backend: Kernel) -> None:
    walk = _at_notice(backend, dt.datetime(2026, 11, 25, 9, tzinfo=CHINA_TZ))
    due = _notice(backend).ends_at + dt.timedelta(minutes=1)
    barrier = threading.Barrier(3)
    reports = []

    def tick() -> None:
        barrier.wait()
        reports.append(timers.tick(backend, due))

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(len(r.fired) for r in reports) == 1 and all(not r.failed for r in reports)
    with backend.db.unit_of_work(write=False) as uow:
        ticks = uow.session.execute(
            sa.select(sa.func.count())
            .select_from(Event)
            .where(Event.instance_id == walk.instance_id, Event.kind == "tick")
        ).scalar_one()
    assert ticks == 1


def test_national_day_is_not_counted_in_a_notice(backend: Kernel) -> None:
    _at_notice(backend, dt.datetime(2026, 9, 25, 10, tzinfo=CHINA_TZ))
    notice = _notice(backend)
    # Evaluation started Fri 25 Sep; the notice opens when the last evaluation is in, same day.
    # Working days after it: 28, 29, 30 Sep, then 8 and 9 Oct (1–7 Oct is the holiday).
    assert notice.ends_at == dt.datetime(2026, 10, 10, tzinfo=CHINA_TZ)
    assert notice.working_days == 5


def test_an_administrators_holidays_count_for_a_year_beyond_the_package(backend: Kernel) -> None:
    for day in (dt.date(2031, 2, 3), dt.date(2031, 2, 4)):
        calendar_admin.add_holiday(backend, actor(backend, "admin"), day, "holiday", "春节")
    _at_notice(backend, dt.datetime(2031, 1, 30, 10, tzinfo=CHINA_TZ))  # a Thursday
    # Working days after Thu 30 Jan: Fri 31, (Mon 3 and Tue 4 are holidays), Wed 5, Thu 6, Fri 7, Mon 10.
    assert _notice(backend).ends_at == dt.datetime(2031, 2, 11, tzinfo=CHINA_TZ)


def test_without_a_calendar_the_count_falls_back_to_weekdays_and_says_so(
    backend: Kernel, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="xianfeng.calendar"):
        _at_notice(backend, dt.datetime(2031, 1, 30, 10, tzinfo=CHINA_TZ))
    assert _notice(backend).ends_at == dt.datetime(2031, 2, 7, tzinfo=CHINA_TZ)
    assert any("no holiday calendar for 2031" in record.getMessage() for record in caplog.records)


def test_a_deadline_counted_once_is_replayed_from_the_log_even_if_holidays_change(backend: Kernel) -> None:
    walk = _at_notice(backend, dt.datetime(2031, 1, 30, 10, tzinfo=CHINA_TZ))
    calendar_admin.add_holiday(backend, actor(backend, "admin"), dt.date(2031, 2, 3), "holiday", "春节")
    report = audit.verify(backend)
    assert report.ok, report.problems
    assert _notice(backend).ends_at == dt.datetime(2031, 2, 7, tzinfo=CHINA_TZ)
    counted = [
        effect
        for event in _events_of(backend, walk.instance_id)
        for effect in json.loads(event.effects)
        if effect["op"] == "add_working_days" and effect["args"]["days"] == 5
    ]
    assert [effect["result"] for effect in counted] == ["2031-02-07T00:00:00+08:00"]


def _events_of(kernel: Kernel, instance_id: int) -> list[Event]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(Event).where(Event.instance_id == instance_id)).scalars())


def test_concurrent_tickers_start_each_scheduled_instance_once(backend: Kernel) -> None:
    from support import establish_post

    establish_post(backend)
    occurrence = dt.datetime(2027, 1, 1, 9, 0, 30, tzinfo=CHINA_TZ)
    barrier = threading.Barrier(3)
    reports: list[timers.TickReport] = []
    errors: list[BaseException] = []

    def tick() -> None:
        barrier.wait()
        try:
            reports.append(timers.tick(backend, occurrence))
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(len(r.started) for r in reports) == 1
    with backend.db.unit_of_work(write=False) as uow:
        count = uow.session.execute(
            sa.select(sa.func.count()).select_from(Event).where(Event.kind == "start")
        ).scalar_one()
    assert count == 2  # the post's creation, and exactly one scheduled assessment


def test_a_tick_with_nothing_to_do_takes_no_write_lock(kernel: Kernel) -> None:
    """The server's tickers run every second in every worker: a quiet round must only read."""
    walk = _at_notice(kernel, dt.datetime(2026, 11, 25, 9, tzinfo=CHINA_TZ))
    timers.tick(kernel, dt.datetime(2026, 11, 26, 8, tzinfo=CHINA_TZ))  # the schedules' bookkeeping
    notifications.dispatch(kernel)  # the evaluators' and the notice's notifications go out now
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        words = statement.split()
        statements.append(" ".join(words[:2]) if words[0].upper() == "BEGIN" else words[0].upper())

    sa.event.listen(kernel.db.engine, "before_cursor_execute", seen)
    try:
        report = timers.tick(kernel, dt.datetime(2026, 11, 26, 9, tzinfo=CHINA_TZ))
        sent = notifications.dispatch(kernel)
    finally:
        sa.event.remove(kernel.db.engine, "before_cursor_execute", seen)
    assert (report.fired, report.reminded, report.escalated, sent) == ([], 0, 0, 0)
    assert statements and set(statements) <= {"BEGIN", "SELECT"}, statements  # no BEGIN IMMEDIATE
    assert walk.show()["status"] == "running"


def test_deadlines_falling_together_fire_in_batches_and_one_failure_stays_alone(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    walks = []
    for candidate, evaluators in (
        ("member1", ("member2", "member3", "member4")),
        ("member5", ("member6", "member7", "member8")),
        ("member9", ("member2", "member3", "member4")),
    ):
        walk = CreationWalk(backend, candidate=candidate, evaluators=evaluators)
        walk.start()
        walks.append(walk)
    with backend.db.unit_of_work(write=False) as uow:
        due = uow.session.execute(sa.select(sa.func.max(TimerRow.due_at))).scalar_one()
    broken = walks[1].instance_id
    real = case_ahead.compute

    def failing(session: Any, kernel: Kernel, instance: Any, *args: Any, **kwargs: Any) -> Any:
        if instance.id == broken:
            raise ScriptError("a step that fails")
        return real(session, kernel, instance, *args, **kwargs)

    monkeypatch.setattr(case_ahead, "compute", failing)
    monkeypatch.setattr(timers, "BATCH", 2)  # two batches: the failing instance shares one
    backend.clock.set(due + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    report = timers.tick(backend)
    fired = {instance_id for instance_id, _seq in report.fired}
    assert fired == {walks[0].instance_id, walks[2].instance_id}
    assert [instance_id for instance_id, _message in report.failed] == [broken]
    with backend.db.unit_of_work(write=False) as uow:
        waiting = uow.session.execute(
            sa.select(TimerRow.instance_id).where(TimerRow.instance_id == broken)
        ).all()
    assert waiting  # its timer still waits, to be fired at the next tick
    monkeypatch.setattr(case_ahead, "compute", real)
    assert {i for i, _ in timers.tick(backend).fired} == {broken}
    assert audit.verify(backend).ok


def test_tickers_racing_through_a_shared_deadline_fire_every_timer_once(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three tickers at once claim batches of two from the same six due instances: on PostgreSQL
    each batch is locked with SKIP LOCKED, so they take disjoint batches; on SQLite they take turns."""
    walks = []
    for candidate in ("member1", "member5", "member6", "member7", "member8", "member9"):
        walk = CreationWalk(backend, candidate=candidate)
        walk.start()
        walks.append(walk)
    with backend.db.unit_of_work(write=False) as uow:
        deadlines = set(uow.session.execute(sa.select(TimerRow.due_at)).scalars())
    assert len(deadlines) == 1  # started at the same moment: one shared evaluation deadline
    monkeypatch.setattr(timers, "BATCH", 2)
    barrier = threading.Barrier(3)
    reports: list[timers.TickReport] = []
    errors: list[BaseException] = []

    def tick() -> None:
        barrier.wait()
        try:
            reports.append(timers.tick(backend, max(deadlines) + dt.timedelta(seconds=1)))
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and all(not r.failed for r in reports)
    fired = [instance_id for report in reports for instance_id, _seq in report.fired]
    assert sorted(fired) == sorted(w.instance_id for w in walks)  # each once: none twice, none missed
    with backend.db.unit_of_work(write=False) as uow:
        assert uow.session.execute(sa.select(TimerRow).where(TimerRow.due_at.in_(deadlines))).first() is None
    assert tick_events_per_case(backend) == sorted((w.instance_id, 1) for w in walks)
    assert audit.verify(backend).ok
