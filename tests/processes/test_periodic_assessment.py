"""periodic_assessment with rectification and revocation (R5–R7) on every path."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from support import (
    SCORES_FAIL,
    SCORES_HIGH,
    SCORES_PASS,
    SCORES_RECTIFY,
    AssessmentWalk,
    actor,
    establish_post,
)

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import NotFound, RuleViolation, TokenInvalid
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import (
    AssessmentRecord,
    CommendationMark,
    ModelPost,
    Notification,
    Rectification,
    Reward,
)
from xianfeng.engine.services import audit, ledger, tasks, timers


@pytest.fixture
def walk(kernel: Kernel) -> AssessmentWalk:
    return AssessmentWalk(kernel, post_id=establish_post(kernel))


def _rows(kernel: Kernel, model: type) -> list:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(model)).scalars())


def _post(kernel: Kernel, post_id: int) -> ModelPost:
    with kernel.db.unit_of_work(write=False) as uow:
        post = uow.session.get(ModelPost, post_id)
        assert post is not None
        return post


def _verified(kernel: Kernel) -> None:
    report = audit.verify(kernel)
    assert report.ok, report.problems


def test_excellent_earns_a_reward_and_ledger_merits(walk: AssessmentWalk) -> None:
    walk.through_survey(satisfied=12)
    view = walk.show()
    assert view["data"]["satisfaction_rate"] == 100.0 and view["data"]["survey_responses"] == 12
    walk.score(SCORES_HIGH)
    outcome = walk.complete(
        walk.secretary, {"spiritual": "通报表扬", "material": "奖金", "amount": 500}, "Task_reward"
    )
    assert (outcome.status, outcome.outcome) == ("completed", "excellent")
    (record,) = _rows(walk.kernel, AssessmentRecord)
    assert (record.outcome, float(record.score), float(record.satisfaction)) == ("excellent", 94.0, 100.0)
    (reward,) = _rows(walk.kernel, Reward)
    assert (reward.spiritual, float(reward.amount)) == ("通报表扬", 500.0)
    year = walk.kernel.clock.now().astimezone(CHINA_TZ).year
    (entry,) = ledger.ledger(walk.kernel, actor(walk.kernel, "committee"), year)
    assert entry.eligible and len(entry.merits) == 2 and entry.blocks == []
    _verified(walk.kernel)


def test_pass_needs_no_further_step(walk: AssessmentWalk) -> None:
    walk.through_survey(satisfied=9, dissatisfied=1)
    assert walk.score(SCORES_PASS).outcome == "pass"
    assert _post(walk.kernel, walk.post_id).status == "active"


def test_too_few_answers_after_the_rounds_let_the_branchs_score_decide(walk: AssessmentWalk) -> None:
    walk.start_assessment()
    walk.report_and_opinions()
    walk.answer_survey([{"overall": "satisfied"}] * 4)
    walk.close_survey()
    assert walk.show()["data"]["survey_round"] == 2
    assert len(walk.survey_tokens()) == 20
    walk.answer_survey([{"overall": "satisfied"}] * 3)
    walk.close_survey()
    assert walk.show()["data"]["survey_responses"] == 3
    outcome = walk.score(SCORES_HIGH)
    assert (outcome.status, outcome.outcome) == ("completed", "pass"), "not rectification, not excellent"
    basis = "群众满意度测评仅收回 3 份（少于 10 份），满意率不作依据，按支部考核得分 94.0 评定"
    assert walk.show()["data"]["assessment_basis"] == basis
    (record,) = _rows(walk.kernel, AssessmentRecord)
    assert (record.outcome, record.basis) == ("pass", basis)
    _verified(walk.kernel)


def test_too_few_answers_and_a_middling_score_lead_to_rectification(walk: AssessmentWalk) -> None:
    walk.through_survey(satisfied=2)
    walk.close_survey()  # the second round brings no answer either
    outcome = walk.score(SCORES_RECTIFY)
    assert [t.spec_id for t in outcome.next_tasks] == ["Task_rectification_plan"]
    assert "按支部考核得分" in walk.show()["data"]["assessment_basis"]


def test_a_closed_survey_link_says_so(walk: AssessmentWalk) -> None:
    walk.start_assessment()
    token = walk.survey_tokens()[0]
    walk.report_and_opinions()
    walk.answer_survey([{"overall": "satisfied"}] * 10)
    walk.close_survey()
    with pytest.raises(TokenInvalid) as refused:
        tasks.complete_by_token(walk.kernel, token, {"overall": "satisfied"})
    assert refused.value.params["reason"] in {"used", "closed"}


def test_rectification_put_right_in_time_passes(walk: AssessmentWalk) -> None:
    walk.through_survey(satisfied=8, dissatisfied=4)
    walk.score(SCORES_RECTIFY)
    walk.complete(
        walk.secretary,
        {"problems": "服务台账记录不全，入户走访次数偏少。", "rectify_days": 10},
        "Task_rectification_plan",
    )
    walk.complete(walk.member, {"actions": "补齐服务台账，每周入户走访两次。"}, "Task_rectification_report")
    outcome = walk.complete(
        walk.secretary, {"rectified": True, "finding": "已整改到位。"}, "Task_rectification_recheck"
    )
    assert outcome.outcome == "rectified"
    (row,) = _rows(walk.kernel, Rectification)
    assert row.status == "passed"
    _verified(walk.kernel)


def test_a_rectification_not_reported_by_its_deadline_fails_and_leads_to_revocation(
    walk: AssessmentWalk,
) -> None:
    kernel = walk.kernel
    walk.through_survey(satisfied=8, dissatisfied=4)
    walk.score(SCORES_RECTIFY)
    walk.complete(
        walk.secretary,
        {"problems": "服务台账记录不全，入户走访次数偏少。", "rectify_days": 5},
        "Task_rectification_plan",
    )
    (rectification,) = _rows(kernel, Rectification)
    kernel.clock.set(rectification.due_at - dt.timedelta(days=1))  # type: ignore[attr-defined]
    timers.tick(kernel)
    reminders = [n for n in _rows(kernel, Notification) if n.kind == "reminder"]
    assert [n.title for n in reminders] == ["即将到期：提交整改报告"]
    kernel.clock.set(rectification.due_at + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    timers.tick(kernel)
    escalations = [n.title for n in _rows(kernel, Notification) if n.kind == "escalation"]
    assert len(escalations) == 1 and escalations[0].startswith("整改逾期")
    assert _rows(kernel, Rectification)[0].status == "failed"
    walk.decide("approve")
    post = _post(kernel, walk.post_id)
    assert post.status == "revoked" and "整改期限内未整改到位" in post.revoke_reason
    outcome = walk.complete(walk.secretary, {"returned_on": "2026-12-20"}, "Task_plate_return")
    assert outcome.outcome == "revoked"
    assert _post(kernel, walk.post_id).plate_returned_at is not None
    _verified(kernel)


def test_a_failing_post_is_revoked_once_the_committee_confirms(walk: AssessmentWalk) -> None:
    walk.through_survey(satisfied=3, dissatisfied=9)
    walk.score(SCORES_FAIL)
    outcome = walk.decide("approve")
    assert [t.spec_id for t in outcome.next_tasks] == ["Task_plate_return"]
    assert _post(walk.kernel, walk.post_id).status == "revoked"


def test_a_revocation_blocks_that_years_commendation(walk: AssessmentWalk) -> None:
    kernel = walk.kernel
    walk.through_survey(satisfied=3, dissatisfied=9)
    walk.score(SCORES_FAIL)
    walk.decide("approve")
    year = kernel.clock.now().astimezone(CHINA_TZ).year
    (entry,) = ledger.ledger(kernel, actor(kernel, "committee"), year)
    assert not entry.eligible and "考核不合格" in entry.blocks[0]["reason"]
    with pytest.raises(RuleViolation, match=r"该年度有限制记录：.*考核不合格"):
        ledger.list_for_commendation(kernel, actor(kernel, "committee"), year, entry.member_id)
    blocks = [m for m in _rows(kernel, CommendationMark) if m.kind == "block"]
    assert [(m.year, m.instance_id) for m in blocks] == [(year, walk.instance_id)]


def test_the_branch_may_propose_a_revocation_and_revise_it_after_a_return(kernel: Kernel) -> None:
    post_id = establish_post(kernel)
    walk = AssessmentWalk(kernel, post_id=post_id)
    outcome = tasks.start(
        kernel,
        actor(kernel, "secretary1"),
        "revocation",
        {"post_id": post_id, "reasons": "该同志长期外出务工，无法履行示范岗职责。"},
    )
    walk.instance_id = outcome.instance_id
    walk.decide("return")
    walk.complete(
        "secretary1", {"reasons": "该同志长期外出务工，经本人同意申请撤销。"}, "Task_revise_revocation"
    )
    walk.decide("approve")
    post = _post(kernel, post_id)
    assert post.status == "revoked" and post.revoke_reason == "该同志长期外出务工，经本人同意申请撤销。"
    _verified(kernel)


def test_the_branch_starts_the_cycle_for_all_its_posts(kernel: Kernel) -> None:
    first = establish_post(kernel)
    second = establish_post(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    outcomes = tasks.start_for_subjects(kernel, actor(kernel, "secretary1"), "periodic_assessment")
    assert len(outcomes) == 2
    assert {o.next_tasks[0].instance_id for o in outcomes} == {o.instance_id for o in outcomes}
    assert tasks.start_for_subjects(kernel, actor(kernel, "secretary2"), "periodic_assessment") == []
    with pytest.raises(NotFound):
        tasks.start(kernel, actor(kernel, "secretary2"), "periodic_assessment", {"post_id": first})
    assert second


def test_the_scheduler_starts_each_cycle_once_for_the_posts_existing_then(kernel: Kernel) -> None:
    establish_post(kernel)
    kernel.clock.set(dt.datetime(2027, 1, 1, 9, 0, 30, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    first = timers.tick(kernel)
    assert [key for key, _id in first.started] == ["periodic_assessment"]
    assert timers.tick(kernel).started == []
    kernel.clock.set(dt.datetime(2027, 7, 1, 9, 1, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    assert len(timers.tick(kernel).started) == 1
