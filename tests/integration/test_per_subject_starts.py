"""Per-subject starts (`startFor`) make one instance per subject per cycle occurrence, whoever
starts it: a second "start for all", a start by hand, the scheduler, or presses at the same time."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from support import actor, establish_post, table_contents

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import NotAllowed, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ProcessInstance
from xianfeng.engine.services import starting, tasks, timers

ASSESSMENT = "periodic_assessment"


def _assessments(kernel: Kernel) -> list[tuple[int, str]]:
    with kernel.db.unit_of_work(write=False) as uow:
        return [
            (row.id, row.business_key)
            for row in uow.session.execute(
                sa.select(ProcessInstance).where(ProcessInstance.process_key == ASSESSMENT)
            ).scalars()
        ]


def test_a_second_press_starts_nothing_and_names_what_exists(backend: Kernel) -> None:
    first = establish_post(backend)
    second = establish_post(backend, candidate="member5", evaluators=("member6", "member7", "member8"))
    secretary = actor(backend, "secretary1")
    report = starting.start_for_all(backend, secretary, ASSESSMENT)
    assert len(report.started) == 2 and report.skipped == []
    started = sorted(o.instance_id for o in report.started)
    # This cycle is the one that began on 1 July 2026, 09:00 China time (01:00 UTC).
    assert sorted(key for _id, key in _assessments(backend)) == [
        f"20260701T0100:post:{first}",
        f"20260701T0100:post:{second}",
    ]
    before = table_contents(backend)
    again = starting.start_for_all(backend, secretary, ASSESSMENT)
    assert again.started == [] and sorted(again.skipped) == started
    assert starting.start_for_subjects(backend, secretary, ASSESSMENT) == []
    with pytest.raises(RuleViolation, match="already has instance") as refused:
        tasks.start(backend, secretary, ASSESSMENT, {"post_id": first})
    assert refused.value.params["instance_id"] in started
    assert table_contents(backend) == before


def test_only_the_start_lane_starts_for_all(backend: Kernel) -> None:
    establish_post(backend)
    before = table_contents(backend)
    for username in ("committee", "member1", "auditor"):
        with pytest.raises(NotAllowed):
            starting.start_for_all(backend, actor(backend, username), ASSESSMENT)
    assert table_contents(backend) == before


def test_the_scheduler_skips_a_subject_started_by_hand_in_its_cycle(backend: Kernel) -> None:
    post_id = establish_post(backend)
    backend.clock.set(dt.datetime(2027, 1, 1, 9, 0, 30, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    by_hand = tasks.start(backend, actor(backend, "secretary1"), ASSESSMENT, {"post_id": post_id})
    assert [key for _k, key in timers.tick(backend).started if _k == ASSESSMENT] == []
    assert _assessments(backend) == [(by_hand.instance_id, f"20270101T0100:post:{post_id}")]
    backend.clock.set(dt.datetime(2027, 7, 1, 9, 1, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    assert len(timers.tick(backend).started) == 1  # the next cycle is a new instance


def test_presses_at_the_same_time_start_each_subject_once(backend: Kernel) -> None:
    establish_post(backend)
    establish_post(backend, candidate="member5", evaluators=("member6", "member7", "member8"))
    secretary = actor(backend, "secretary1")
    barrier = threading.Barrier(3)
    reports: list[starting.BulkStart] = []
    errors: list[BaseException] = []

    def press() -> None:
        barrier.wait()
        try:
            reports.append(starting.start_for_all(backend, secretary, ASSESSMENT))
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=press) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(len(r.started) for r in reports) == 2 and sum(len(r.skipped) for r in reports) == 4
    assert len(_assessments(backend)) == 2
