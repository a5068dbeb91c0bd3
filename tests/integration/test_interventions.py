"""Administrators' interventions (SQLite and PostgreSQL): each needs a reason, is a chained event of
the case with the administrator as actor, and `verify` replays it; refusals store nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from intervention_support import DETERMINE, DETERMINED, at_consent, at_determine, make_deputy
from support import GOOD, CreationWalk, actor, table_contents

from xianfeng.engine.errors import FormInvalid, NotAllowed, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, HumanTask, ProcessInstance, PublicLink, PublicNotice, TimerRow
from xianfeng.engine.services import audit, tasks, timers
from xianfeng.engine.services.admin import interventions


def _last_event(kernel: Kernel, instance_id: int) -> Event:
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(
            sa.select(Event).where(Event.instance_id == instance_id).order_by(Event.seq.desc()).limit(1)
        ).scalar_one()


def _count(kernel: Kernel, model: type, instance_id: int, *where: sa.ColumnElement[bool]) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        statement = (
            sa.select(sa.func.count()).select_from(model).where(model.instance_id == instance_id, *where)
        )
        return int(uow.session.execute(statement).scalar_one())


def test_a_cancellation_needs_a_reason_and_an_administrator(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    before = table_contents(backend)
    with pytest.raises(RuleViolation, match="reason"):
        interventions.cancel(backend, actor(backend, "admin"), walk.instance_id, "  ")
    with pytest.raises(NotAllowed):
        interventions.cancel(backend, actor(backend, "committee"), walk.instance_id, "误发起的提名")
    assert table_contents(backend) == before


def test_a_cancelled_case_ends_its_tasks_links_timers_and_notice_and_verifies(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    assert _count(backend, HumanTask, walk.instance_id) > 0
    done = interventions.cancel(backend, actor(backend, "admin"), walk.instance_id, "候选人已调离本村")
    with backend.db.unit_of_work(write=False) as uow:
        instance = uow.session.get(ProcessInstance, walk.instance_id)
        assert instance is not None and (instance.status, instance.outcome) == ("cancelled", "cancelled")
    assert _count(backend, HumanTask, walk.instance_id) == 0
    assert _count(backend, TimerRow, walk.instance_id) == 0
    assert _count(backend, PublicLink, walk.instance_id, PublicLink.closed_at.is_(None)) == 0
    event = _last_event(backend, walk.instance_id)
    assert (event.seq, event.kind, event.actor, event.role) == (done.event_seq, "cancel", "admin", "admin")
    assert json.loads(event.payload)["reason"] == "候选人已调离本村"
    with pytest.raises(RuleViolation, match="cancelled"):
        interventions.cancel(backend, actor(backend, "admin"), walk.instance_id, "再次取消")
    report = audit.verify(backend)
    assert report.ok, report.problems


def test_a_cancelled_notice_comes_off_the_board(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()
    if not _count(backend, PublicNotice, walk.instance_id):  # the evaluation may end at its deadline
        walk.pass_notice()
    assert _count(backend, PublicNotice, walk.instance_id, PublicNotice.status == "active") == 1
    interventions.cancel(backend, actor(backend, "admin"), walk.instance_id, "发现材料造假")
    assert _count(backend, PublicNotice, walk.instance_id, PublicNotice.status == "active") == 0
    assert audit.verify(backend).ok


def test_a_suspended_case_neither_moves_nor_fires_until_resumed(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    task = walk.task_of("member2", "Task_member_evaluation")
    interventions.suspend(backend, actor(backend, "admin"), walk.instance_id, "等待上级核查")
    with pytest.raises(NotAllowed, match="suspended"):
        tasks.complete(backend, actor(backend, "member2"), task.id, dict(GOOD))
    with backend.db.unit_of_work(write=False) as uow:
        due = uow.session.execute(
            sa.select(sa.func.min(TimerRow.due_at)).where(TimerRow.instance_id == walk.instance_id)
        ).scalar_one()
    backend.clock.set(due + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    assert not any(i == walk.instance_id for i, _ in timers.tick(backend).fired)
    interventions.resume(backend, actor(backend, "admin"), walk.instance_id, "核查完毕")
    assert any(i == walk.instance_id for i, _ in timers.tick(backend).fired)
    kinds = [e.kind for e in _events(backend, walk.instance_id)]
    assert kinds[-3:-1] == ["suspend", "resume"] and kinds[-1] == "tick"
    assert audit.verify(backend).ok


def _events(kernel: Kernel, instance_id: int) -> list[Event]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(
                sa.select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)
            ).scalars()
        )


def test_a_task_given_to_a_person_is_theirs_and_the_log_says_who_gave_it(backend: Kernel) -> None:
    walk = at_determine(backend)
    make_deputy(backend, "member6")
    task = walk.task_of("secretary1", DETERMINE)
    before = table_contents(backend)
    for outside in ("member15", "secretary2"):  # a member, and the branch role, of another branch
        with pytest.raises(NotAllowed, match=f"{outside} cannot act on 支部确定名单"):
            interventions.reassign(backend, actor(backend, "admin"), task.id, outside, "换人办理")
    assert table_contents(backend) == before
    interventions.reassign(backend, actor(backend, "admin"), task.id, "member6", "原办理人外出学习")
    with pytest.raises(NotAllowed):
        tasks.complete(backend, actor(backend, "secretary1"), task.id, dict(DETERMINED))
    tasks.complete(backend, actor(backend, "member6"), task.id, dict(DETERMINED))
    reassigned = next(e for e in _events(backend, walk.instance_id) if e.kind == "reassign")
    assert (reassigned.actor, json.loads(reassigned.payload)["to"]) == ("admin", "member6")
    assert json.loads(reassigned.payload)["reason"] == "原办理人外出学习"
    assert audit.verify(backend).ok


def test_a_task_completed_on_someones_behalf_is_checked_by_its_form_and_names_the_administrator(
    backend: Kernel,
) -> None:
    walk = at_determine(backend)
    task = walk.task_of("secretary1", DETERMINE)
    before = table_contents(backend)
    with pytest.raises(FormInvalid):
        interventions.complete_on_behalf(
            backend, actor(backend, "admin"), task.id, {**DETERMINED, "responsibilities": "短"}, "代为录入"
        )
    assert table_contents(backend) == before
    interventions.complete_on_behalf(
        backend, actor(backend, "admin"), task.id, dict(DETERMINED), "书记住院，代为录入支部决定"
    )
    event = next(e for e in _events(backend, walk.instance_id) if e.task_id == task.id)
    payload = json.loads(event.payload)
    assert (event.kind, event.actor, event.role) == ("complete", "admin", "admin")
    assert payload["on_behalf"] is True and payload["reason"] == "书记住院，代为录入支部决定"
    assert audit.verify(backend).ok


@pytest.mark.parametrize("to", ["member6", "member1"])  # another member of the branch; the nominee
def test_an_evaluators_evaluation_is_not_given_to_anyone_else(backend: Kernel, to: str) -> None:
    walk = CreationWalk(backend)  # member1 nominated, member2 among the evaluators
    walk.start()
    task = walk.task_of("member2", "Task_member_evaluation")
    before = table_contents(backend)
    with pytest.raises(NotAllowed, match="党员测评 is answered by its own holder only") as refused:
        interventions.reassign(backend, actor(backend, "admin"), task.id, to, "原测评人住院")
    assert (refused.value.params["task_id"], refused.value.params["verb"]) == (task.id, "transfer")
    assert table_contents(backend) == before
    assert walk.task_of("member2", "Task_member_evaluation").id == task.id


def test_an_evaluation_is_not_completed_on_the_evaluators_behalf(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    task = walk.task_of("member2", "Task_member_evaluation")
    before = table_contents(backend)
    with pytest.raises(NotAllowed, match="党员测评 is answered by its own holder only") as refused:
        interventions.complete_on_behalf(
            backend, actor(backend, "admin"), task.id, dict(GOOD), "代录纸质测评"
        )
    assert refused.value.params["verb"] == "delegate"
    assert table_contents(backend) == before


def test_the_nominees_consent_is_neither_given_away_nor_completed_on_their_behalf(backend: Kernel) -> None:
    walk = at_consent(backend)
    task = walk.task_of("member1", "Task_consent")
    willing = {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"}
    before = table_contents(backend)
    with pytest.raises(NotAllowed, match="本人确认意愿 is answered by its own holder only"):
        interventions.complete_on_behalf(backend, actor(backend, "admin"), task.id, willing, "本人电话同意")
    with pytest.raises(NotAllowed, match="本人确认意愿 is answered by its own holder only"):
        interventions.reassign(backend, actor(backend, "admin"), task.id, "member6", "本人联系不上")
    assert table_contents(backend) == before


def test_a_step_overdue_for_long_is_listed_and_retried_on_the_record(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    with backend.db.unit_of_work(write=False) as uow:
        due = uow.session.execute(
            sa.select(sa.func.min(TimerRow.due_at)).where(TimerRow.instance_id == walk.instance_id)
        ).scalar_one()
    backend.clock.set(due + dt.timedelta(minutes=11))  # type: ignore[attr-defined]
    (stuck,) = interventions.stuck(backend, actor(backend, "admin"))
    assert stuck.instance_id == walk.instance_id and stuck.due_at == due
    interventions.retry(backend, actor(backend, "admin"), walk.instance_id, "定时器未触发，手动重试")
    event = _last_event(backend, walk.instance_id)
    assert (event.kind, event.actor, json.loads(event.payload)["retry"]) == ("tick", "admin", True)
    assert interventions.stuck(backend, actor(backend, "admin")) == []
    assert audit.verify(backend).ok
