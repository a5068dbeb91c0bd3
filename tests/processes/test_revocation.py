"""Revocation (R5, R7): a failing post 要撤销 (the committee confirms or returns, never refuses); the
year it blocks is the year of the assessment that failed; revoking a post ends what depends on it
(its running assessment and rectification, by the message post_revoked their diagram catches),
recorded in their histories; the starter and the post's member are told."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from nomination_support import notifications_of, usernames_of, verified
from support import SCORES_FAIL, AssessmentWalk, CreationWalk, actor, at_rectification_report, establish_post

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import FormInvalid, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import CommendationMark, ModelPost, Rectification
from xianfeng.engine.services import instances, ledger, tasks, timers

REASONS = "该同志长期外出务工，无法履行示范岗职责。"


def _propose(kernel: Kernel, post_id: int) -> CreationWalk:
    walk = CreationWalk(kernel)
    walk.instance_id = tasks.start(
        kernel, actor(kernel, "secretary1"), "revocation", {"post_id": post_id, "reasons": REASONS}
    ).instance_id
    return walk


def _post(kernel: Kernel, post_id: int) -> ModelPost:
    with kernel.db.unit_of_work(write=False) as uow:
        post = uow.session.get(ModelPost, post_id)
        assert post is not None
        return post


def test_revoking_a_post_ends_its_running_assessment_and_rectification(backend: Kernel) -> None:
    kernel = backend
    assessment, _task = at_rectification_report(kernel)
    revocation = _propose(kernel, assessment.post_id)
    revocation.decide("approve")
    report = timers.tick(kernel)
    assert report.delivered == [(assessment.instance_id, 1)]
    view = assessment.show()
    assert (view["status"], view["outcome"], view["end_event"]) == (
        "completed",
        "ended_by_revocation",
        "End_post_revoked",
    )
    assert view["ready_tasks"] == [] and view["timers"] == []
    with kernel.db.unit_of_work(write=False) as uow:
        statuses = list(uow.session.execute(sa.select(Rectification.status)).scalars())
    assert statuses == ["ended"]
    history = instances.history(kernel, actor(kernel, "auditor"), assessment.instance_id)
    (message,) = [e for e in history if e["kind"] == "message"]
    assert message["payload"]["name"] == "post_revoked"
    assert message["payload"]["data"]["by_instance"] == revocation.instance_id
    revoked = instances.history(kernel, actor(kernel, "auditor"), revocation.instance_id)
    (ended,) = [e for event in revoked for e in event["effects"] if e["op"] == "end_dependents"]
    assert ended["result"] == {"messaged": [assessment.instance_id]}
    verified(kernel)


def test_the_committee_may_not_refuse_a_revocation(kernel: Kernel) -> None:
    walk = _propose(kernel, establish_post(kernel))
    with pytest.raises(FormInvalid, match="decision"):
        walk.decide("reject")
    assert walk.task_of("committee", "Task_committee_decision")


def test_a_return_beyond_the_limit_is_refused_so_the_committee_confirms(kernel: Kernel) -> None:
    post_id = establish_post(kernel)
    walk = _propose(kernel, post_id)
    for round_ in range(2):
        walk.decide("return")
        walk.complete(
            "secretary1", {"reasons": f"补正第 {round_ + 1} 次：{REASONS}"}, "Task_revise_revocation"
        )
    with pytest.raises(RuleViolation, match="已退回补正 2 次，不能再退回"):
        walk.decide("return")
    walk.decide("approve")
    assert _post(kernel, post_id).status == "revoked"
    verified(kernel)


def test_a_revocation_blocks_the_year_of_the_assessment_that_failed(kernel: Kernel) -> None:
    walk = AssessmentWalk(kernel, post_id=establish_post(kernel))
    walk.through_survey(satisfied=3, dissatisfied=9)
    kernel.clock.set(dt.datetime(2026, 12, 30, 10, 0, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    walk.score(SCORES_FAIL)
    kernel.clock.set(dt.datetime(2027, 1, 5, 10, 0, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    walk.decide("approve")
    with kernel.db.unit_of_work(write=False) as uow:
        blocks = list(
            uow.session.execute(
                sa.select(CommendationMark.year).where(CommendationMark.kind == "block")
            ).scalars()
        )
    assert blocks == [2026]
    committee = actor(kernel, "committee")
    (entry,) = [e for e in ledger.ledger(kernel, committee, 2026) if e.blocks]
    assert not entry.eligible
    assert not [e for e in ledger.ledger(kernel, committee, 2027) if e.blocks]
    verified(kernel)


def test_the_starter_and_the_posts_member_are_told_of_the_revocation_with_the_case_title(
    kernel: Kernel,
) -> None:
    walk = _propose(kernel, establish_post(kernel))
    walk.decide("approve")
    told = notifications_of(kernel, walk.instance_id)
    assert usernames_of(kernel, [n.user_id for n in told]) == {"secretary1", "member1"}
    assert {n.title for n in told} == {walk.show()["title"]}
    assert all("镇党委确认撤销党员示范岗 ZA-SFG-2026-0001" in n.body for n in told)
