"""model_post_creation on every path (R1–R4, R12, R13), driven through the service layer.

Each step loads the instance from the database with freshly parsed diagrams (see CreationWalk),
which is what a separate request or process does.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from support import GOOD, POOR, CreationWalk, actor, ready_rows

from xianfeng.engine.errors import NotAllowed, TokenInvalid
from xianfeng.engine.models import ModelPost, Objection, PublicLink, PublicNotice
from xianfeng.engine.services import audit, notices, tasks


def _post_rows(walk: CreationWalk) -> list[ModelPost]:
    with walk.kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(ModelPost)).scalars())


def _notice(walk: CreationWalk) -> PublicNotice:
    with walk.kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(
            sa.select(PublicNotice).where(PublicNotice.instance_id == walk.instance_id)
        ).scalar_one()


def _verified(walk: CreationWalk) -> None:
    report = audit.verify(walk.kernel)
    assert report.ok, report.problems


def _to_consent(walk: CreationWalk) -> None:
    walk.start()
    walk.evaluate()
    walk.pass_notice()


def test_start_assigns_each_evaluator_a_task_and_issues_public_links(walk: CreationWalk) -> None:
    outcome = walk.start()
    roles = sorted((t.role, t.name) for t in outcome.next_tasks)
    assert roles == [("member", "党员测评")] * 3 + [("public", "群众测评")] * 5
    assert len(walk.public_tokens()) == 5
    assignees = {
        row.assignee_user_id for row in ready_rows(walk.kernel, walk.instance_id) if row.role == "member"
    }
    expected = {actor(walk.kernel, u).user_id for u in walk.evaluators}
    assert assignees == expected
    deadline = {row.due_at for row in ready_rows(walk.kernel, walk.instance_id)}
    # 10 working days from Wed 2026-11-25: ends with Wed 2026-12-09 (China time).
    assert deadline == {dt.datetime(2026, 12, 9, 16, 0, tzinfo=dt.UTC)}
    assert (
        walk.show()["title"]
        == "党员示范岗创建：" + walk.show()["data"]["candidate"]["name"] + "（便民服务示范岗）"
    )


def test_approved_nomination_establishes_a_post_with_plate_and_badge(walk: CreationWalk) -> None:
    _to_consent(walk)
    assert _notice(walk).outcome == "passed"
    walk.consent()
    walk.determine()
    outcome = walk.decide("approve")
    assert (outcome.status, outcome.outcome) == ("completed", "established")
    (post,) = _post_rows(walk)
    assert post.plate_no == "ZA-SFG-2026-0001" and post.badge_no == "ZA-HZ-2026-0001"
    assert post.creation_instance_id == walk.instance_id and post.status == "active"
    assert post.pledge.startswith("我愿意")
    assert walk.show()["data"]["post"]["plate_no"] == post.plate_no
    _verified(walk)


def test_return_then_approve_goes_back_to_the_branch_and_counts_the_return(walk: CreationWalk) -> None:
    _to_consent(walk)
    walk.consent()
    walk.determine()
    returned = walk.decide("return")
    assert [t.spec_id for t in returned.next_tasks] == ["Task_determine_list"]
    walk.determine()
    outcome = walk.decide("approve")
    assert outcome.outcome == "established"
    assert walk.show()["data"]["return_count"] == 1
    assert len(_post_rows(walk)) == 1
    _verified(walk)


def test_rejection_ends_without_a_post(walk: CreationWalk) -> None:
    _to_consent(walk)
    walk.consent()
    walk.determine()
    outcome = walk.decide("reject")
    assert (outcome.status, outcome.outcome) == ("completed", "rejected")
    assert _post_rows(walk) == []
    _verified(walk)


def test_a_return_beyond_the_limit_closes_the_case(walk: CreationWalk) -> None:
    _to_consent(walk)
    walk.consent()
    for _ in range(3):
        walk.determine()
        walk.decide("return")
    walk.determine()
    outcome = walk.decide("return")
    assert outcome.outcome == "closed_after_returns"
    assert walk.show()["data"]["return_count"] == 4
    _verified(walk)


def test_declining_member_ends_the_nomination(walk: CreationWalk) -> None:
    _to_consent(walk)
    outcome = walk.consent(willing=False)
    assert (outcome.status, outcome.outcome) == ("completed", "declined")
    assert ready_rows(walk.kernel, walk.instance_id) == []
    _verified(walk)


def test_branch_may_leave_the_nominee_off_the_list(walk: CreationWalk) -> None:
    _to_consent(walk)
    walk.consent()
    assert walk.determine(include=False).outcome == "not_listed"


def test_upheld_objection_ends_the_notice_and_the_nomination(walk: CreationWalk) -> None:
    walk.start()
    walk.evaluate()
    receipt = notices.file_objection(
        walk.kernel, _notice(walk).id, "该同志曾有违纪行为，请核实。", "13800000000"
    )
    outcome = walk.complete(
        walk.secretary,
        {"upheld": True, "finding": "经核实情况属实。", "answer": "异议成立，终止推荐。"},
        "Task_review_objection",
    )
    assert (outcome.status, outcome.outcome) == ("completed", "objection_upheld")
    notice = _notice(walk)
    assert (notice.status, notice.outcome) == ("ended", "objection_upheld")
    status = notices.objection_status(walk.kernel, receipt["receipt_no"])
    assert (status["status"], status["answer"]) == ("upheld", "异议成立，终止推荐。")
    _verified(walk)


def test_dismissed_objection_lets_the_notice_run_to_its_end(walk: CreationWalk) -> None:
    walk.start()
    walk.evaluate()
    notice = _notice(walk)
    notices.file_objection(walk.kernel, notice.id, "请核实该同志的工作表现。")
    walk.complete(
        walk.secretary,
        {"upheld": False, "finding": "经走访核实不属实。", "answer": "感谢监督，经核实不属实。"},
        "Task_review_objection",
    )
    assert _notice(walk).status == "active"
    walk.pass_notice()
    assert _notice(walk).outcome == "passed"
    assert walk.task_of(walk.candidate, "Task_consent")
    _verified(walk)


def test_objection_filed_while_another_is_reviewed_is_considered_before_the_deadline(
    walk: CreationWalk,
) -> None:
    walk.start()
    walk.evaluate()
    notice = _notice(walk)
    notices.file_objection(walk.kernel, notice.id, "第一条异议：请核实。")
    notices.file_objection(walk.kernel, notice.id, "第二条异议：请一并核实。")
    # The notice period ends while the branch is still on the first objection.
    walk.kernel.clock.set(notice.ends_at + dt.timedelta(hours=1))  # type: ignore[attr-defined]
    walk.complete(
        walk.secretary,
        {"upheld": False, "finding": "第一条不属实。", "answer": "经核实不属实。"},
        "Task_review_objection",
    )
    second = walk.task_of(walk.secretary, "Task_review_objection")
    assert second, "the second objection reached the branch although the period had ended"
    walk.complete(
        walk.secretary,
        {"upheld": False, "finding": "第二条不属实。", "answer": "经核实不属实。"},
        "Task_review_objection",
    )
    assert _notice(walk).outcome == "passed"
    with walk.kernel.db.unit_of_work(write=False) as uow:
        statuses = list(uow.session.execute(sa.select(Objection.status).order_by(Objection.id)).scalars())
    assert statuses == ["dismissed", "dismissed"]
    _verified(walk)


def test_low_scores_fail_the_evaluation_by_the_decision_table(walk: CreationWalk) -> None:
    walk.start()
    walk.evaluate(member_scores=POOR)
    view = walk.show()
    assert view["status"] == "completed" and view["outcome"] == "evaluation_failed"
    assert view["data"]["member_score"] == 56.0 and view["data"]["evaluation_result"] == "failed"
    _verified(walk)


def test_a_deadline_with_too_few_answers_closes_the_links_and_asks_the_branch(walk: CreationWalk) -> None:
    walk.start()
    walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    tokens = walk.public_tokens()
    walk.kernel.clock.set(dt.datetime(2026, 12, 10, 0, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))))  # type: ignore[attr-defined]
    walk.pass_notice()
    view = walk.show()
    assert view["status"] == "running" and view["data"]["evaluation_result"] == "too_few"
    assert [r.spec_id for r in ready_rows(walk.kernel, walk.instance_id)] == ["Task_extend_evaluation"]
    with pytest.raises(TokenInvalid) as refused:
        tasks.complete_by_token(walk.kernel, tokens[0], dict(GOOD))
    assert refused.value.params["reason"] == "closed"
    with walk.kernel.db.unit_of_work(write=False) as uow:
        closed = uow.session.execute(
            sa.select(sa.func.count()).select_from(PublicLink).where(PublicLink.closed_at.is_not(None))
        ).scalar_one()
    assert closed == 5
    _verified(walk)


def test_a_public_link_is_single_use(walk: CreationWalk) -> None:
    walk.start()
    token = walk.public_tokens()[0]
    tasks.complete_by_token(walk.kernel, token, dict(GOOD))
    with pytest.raises(TokenInvalid) as refused:
        tasks.complete_by_token(walk.kernel, token, dict(GOOD))
    assert refused.value.params["reason"] == "used"


def test_only_the_nominee_may_give_consent(walk: CreationWalk) -> None:
    _to_consent(walk)
    task = walk.task_of(walk.candidate, "Task_consent")
    with pytest.raises(NotAllowed, match="assigned to another person"):
        tasks.complete(
            walk.kernel,
            actor(walk.kernel, "member2"),
            task.id,
            {"willing": True, "pledge": "我愿意承担示范岗职责。"},
        )
