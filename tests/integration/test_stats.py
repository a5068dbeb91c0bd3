"""统计分析: the figures the committee and the branches see, computed by SQL over the registers, the
inbox and the step timings the ticker folds from the log; who may see which."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from support import GOOD, SCORES_HIGH, AssessmentWalk, CreationWalk, actor, establish_post
from walks_support import divide, excellent_post

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import NotAllowed, NotFound
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import AssessmentRecord, Event, HumanTask, StepTiming
from xianfeng.engine.services import areas, stats, stats_steps
from xianfeng.engine.services.stats import StatsQuery

TOWN = StatsQuery()
BRANCH_2 = ("member11", ("member12", "member13", "member14"))


def figures(kernel: Kernel, username: str, **asked: int) -> stats.Figures:
    return stats.figures(kernel, actor(kernel, username), StatsQuery(**asked))


def second_branch_nomination(kernel: Kernel) -> CreationWalk:
    candidate, evaluators = BRANCH_2
    walk = CreationWalk(kernel, secretary="secretary2", candidate=candidate, evaluators=evaluators)
    walk.start()
    return walk


def test_the_committee_sees_the_town_and_a_branch_sees_only_its_own(backend: Kernel) -> None:
    establish_post(backend)  # the first branch's post
    second_branch_nomination(backend)  # three evaluations wait in the second branch
    town = figures(backend, "committee")
    assert town.branch_id is None and list(town.branches) == [1, 2, 3]
    assert [(p.branch_id, p.category, p.status, p.count) for p in town.posts] == [
        (1, "key_post", "active", 1)
    ]
    assert {t.branch_id: t.open for t in town.tasks} == {2: 3}
    own = figures(backend, "secretary1")
    assert own.branch_id == 1 and list(own.branches) == [1] and own.tasks == []
    assert own.posts == town.posts
    assert [t.open for t in figures(backend, "secretary2").tasks] == [3]
    chosen = figures(backend, "committee", branch_id=2)
    assert chosen.posts == [] and list(chosen.branches) == [2] and list(chosen.choosable) == [1, 2, 3]
    assert figures(backend, "auditor").posts == town.posts
    with pytest.raises(NotAllowed, match="own branch only"):
        figures(backend, "secretary1", branch_id=2)
    with pytest.raises(NotAllowed, match="may not see statistics"):
        figures(backend, "member1")
    with pytest.raises(NotFound):
        figures(backend, "committee", branch_id=99)
    with pytest.raises(NotFound):
        figures(backend, "committee", year=1900)


def test_assessment_outcomes_and_satisfaction_are_given_per_cycle(backend: Kernel) -> None:
    walk = AssessmentWalk(backend, post_id=establish_post(backend))
    walk.through_survey(satisfied=10, dissatisfied=2)
    walk.score(SCORES_HIGH)
    town = figures(backend, "committee")
    year = backend.clock.now().astimezone(CHINA_TZ).year
    with backend.db.unit_of_work(write=False) as uow:
        outcome = uow.session.execute(sa.select(AssessmentRecord.outcome)).scalar_one()  # as the DMN decided
    assert [(a.year, a.outcome, a.count) for a in town.assessments] == [(year, outcome, 1)]
    (cycle,) = town.satisfaction
    assert (cycle.year, cycle.assessments, cycle.responses) == (year, 1, 12)
    assert cycle.satisfaction == pytest.approx(83.3, abs=0.05) and cycle.score > 90
    assert figures(backend, "committee", branch_id=2).satisfaction == []


def test_tasks_past_their_due_time_are_counted_overdue_per_branch(kernel: Kernel) -> None:
    second_branch_nomination(kernel)
    with kernel.db.unit_of_work(write=False) as uow:
        due = uow.session.execute(
            sa.select(sa.func.max(HumanTask.due_at)).where(HumanTask.role == "member")
        ).scalar()
    assert due is not None
    assert [(t.open, t.overdue) for t in figures(kernel, "committee").tasks] == [(3, 0)]
    kernel.clock.set(due + dt.timedelta(minutes=1))  # type: ignore[attr-defined]
    assert [(t.branch_id, t.open, t.overdue) for t in figures(kernel, "committee").tasks] == [(2, 3, 3)]


def test_step_times_are_folded_from_the_log_in_working_days(backend: Kernel) -> None:
    walk = CreationWalk(backend)  # started on Wednesday 2026-11-25, 09:00
    walk.start()
    for username, day in (("member2", 25), ("member3", 27), ("member4", 30)):  # Wed, Fri, Mon
        backend.clock.set(dt.datetime(2026, 11, day, 15, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
        walk.complete(username, {"political": 5, "work": 5, "service": 4, "conduct": 5, "discipline": 5})
    assert figures(backend, "committee").steps == []  # nothing folded yet: the ticker does it
    folded = stats_steps.catch_up(backend, batch=2)
    assert folded > 0 and stats_steps.catch_up(backend) > 0 and not stats_steps.behind(backend)
    assert stats_steps.catch_up(backend) == 0
    steps = {s.spec_id: s for s in figures(backend, "committee").steps}
    evaluation = steps["Task_member_evaluation"]
    assert (evaluation.done, evaluation.longest_days, evaluation.late) == (3, 3, 0)
    assert evaluation.average_days == pytest.approx((0 + 2 + 3) / 3, abs=0.05)
    assert evaluation.name == "党员测评" and evaluation.process.startswith("党员示范岗创建")
    assert figures(backend, "secretary2").steps == []  # the first branch's case
    assert figures(backend, "committee", year=2025).steps == []
    with backend.db.unit_of_work(write=False) as uow:
        waiting = (
            uow.session.execute(sa.select(StepTiming).where(StepTiming.ended_at.is_(None))).scalars().all()
        )
    assert waiting and all(w.role == "public" for w in waiting)  # the villagers' links still wait


def test_a_fold_with_nothing_new_only_reads(kernel: Kernel) -> None:
    CreationWalk(kernel).start()
    stats_steps.catch_up(kernel)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement.split(maxsplit=1)[0].upper())

    sa.event.listen(kernel.db.engine, "before_cursor_execute", seen)
    try:
        assert stats_steps.catch_up(kernel) == 0
    finally:
        sa.event.remove(kernel.db.engine, "before_cursor_execute", seen)
    assert statements and set(statements) <= {"BEGIN", "SELECT"}, statements


def test_work_records_rewards_and_criticisms_are_counted(kernel: Kernel) -> None:
    excellent_post(kernel, "member1", ("member2", "member3", "member4"))  # a 500 yuan reward
    divide(kernel)
    for username, data in (
        ("member4", {"kind": "service", "domain": "hardship_relief", "what": "为困难户代办低保续期"}),
        ("member4", {"kind": "service", "domain": "hardship_relief", "what": "为独居老人送医送药"}),
        ("member3", {"kind": "service", "domain": "employment", "what": "为返乡青年介绍务工岗位"}),
        ("member3", {"kind": "political", "political_activity": "study", "what": "参加支部学习党章"}),
    ):
        areas.record_work(kernel, actor(kernel, username), {**data, "happened_on": "2026-11-20"})
    town = figures(kernel, "committee")
    assert {(r.kind, r.domain): r.count for r in town.records} == {
        ("political", "study"): 1,
        ("service", "employment"): 1,
        ("service", "hardship_relief"): 2,
    }
    assert [(r.branch_id, r.rewards, r.amount, r.criticisms) for r in town.rewards] == [(1, 1, 500.0, 0)]
    assert figures(kernel, "committee", year=2025).records == []
    assert figures(kernel, "secretary2").records == [] and figures(kernel, "secretary2").rewards == []


def test_the_servers_ticker_folds_the_log_every_round(kernel: Kernel) -> None:
    from xianfeng.web.server import Ticker

    walk = CreationWalk(kernel)
    walk.start()
    walk.complete("member2", {"political": 5, "work": 5, "service": 4, "conduct": 5, "discipline": 5})
    assert figures(kernel, "committee").steps == []
    Ticker(kernel, interval=1.0).tick_once()
    assert [s.spec_id for s in figures(kernel, "committee").steps] == ["Task_member_evaluation"]


def test_an_event_committing_after_a_higher_numbered_one_is_still_folded(postgres_kernel: Kernel) -> None:
    """On PostgreSQL `seq` comes from a sequence: a step may take its number, then commit after a
    step of another case that took a higher one. The fold of the first case's evaluation, made
    between the two commits, must not pass over it."""
    kernel = postgres_kernel
    first = CreationWalk(kernel)
    second = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    first.start()
    second.start()
    assert first.instance_id % 16 != second.instance_id % 16  # two shards: no lock between them
    stats_steps.catch_up(kernel)
    held, release = threading.Event(), threading.Event()
    slow = threading.current_thread().ident

    def hold(session: object) -> None:
        if threading.current_thread().ident != slow and not held.is_set():
            held.set()
            assert release.wait(30)

    errors: list[BaseException] = []

    def evaluate_slowly() -> None:
        try:
            first.complete("member2", dict(GOOD), "Task_member_evaluation")
        except BaseException as error:  # reported by the test's thread
            errors.append(error)

    sa.event.listen(Session, "before_commit", hold)
    try:
        worker = threading.Thread(target=evaluate_slowly)
        worker.start()
        assert held.wait(30)  # its event is written, numbered and not committed
        second.complete("member6", dict(GOOD), "Task_member_evaluation")
        stats_steps.catch_up(kernel)  # sees the second case's higher number, not the first's
        release.set()
        worker.join(30)
    finally:
        release.set()
        sa.event.remove(Session, "before_commit", hold)
    assert not errors, errors
    with kernel.db.unit_of_work(write=False) as uow:
        seqs = dict(
            uow.session.execute(
                sa.select(Event.instance_id, sa.func.max(Event.seq))
                .where(Event.kind == "complete")
                .group_by(Event.instance_id)
            ).all()
        )
    assert seqs[first.instance_id] < seqs[second.instance_id]  # the late commit has the lower number
    assert stats_steps.behind(kernel)
    stats_steps.catch_up(kernel)
    evaluation = {s.spec_id: s for s in figures(kernel, "committee").steps}["Task_member_evaluation"]
    assert evaluation.done == 2
