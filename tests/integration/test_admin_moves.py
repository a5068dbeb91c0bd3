"""A member moves to another branch, moves out or leaves: what they hold in the old branch stops the
move with a pointer to where it is dealt with; what waits for their account is handed over in its
case, except their own tasks (an evaluator's 党员测评), which stay and are decided by their deadline;
the account follows the member (or is disabled); verify stays clean (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from admin_support import (
    account,
    admin,
    asked_to_co_sign,
    assert_verifies,
    case_events,
    member_by_code,
    org_events,
    signers_of,
    tasks_assigned,
)
from intervention_support import DETERMINE
from support import GOOD, CreationWalk, actor, establish_post, table_contents
from walks_support import divide

from xianfeng.engine.errors import FormInvalid, NotAllowed, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import accounts
from xianfeng.engine.services.admin import departures
from xianfeng.engine.services.admin.common import today
from xianfeng.engine.services.admin.departures import Departure

BRANCH_2, VILLAGE_3 = 2, 3  # 红星嘎查党支部 and its 红星嘎查
MOVE = Departure("move", branch_id=BRANCH_2, village_id=VILLAGE_3)


def _member_id(kernel: Kernel, username: str) -> int:
    found = account(kernel, username).member_id
    assert found is not None
    return found


def test_a_chosen_evaluator_moves_their_evaluation_stays_and_their_co_signature_goes_to_the_secretary(
    backend: Kernel,
) -> None:
    signed = asked_to_co_sign(
        backend, "member2", candidate="member5", evaluators=("member3", "member4", "member7")
    )
    walk = CreationWalk(backend, candidate="member1", evaluators=("member2", "member3", "member4"))
    walk.start()
    evaluation = walk.task_of("member2", "Task_member_evaluation")
    member2 = _member_id(backend, "member2")
    plan = departures.plan(backend, admin(backend), member2, MOVE)
    assert plan.ok and plan.account_effect == "scope" and plan.handover_to == "secretary1"
    assert {(i.what, i.instance_id, i.task_id) for i in plan.items} == {
        ("personal", walk.instance_id, evaluation.id),  # an evaluator's own: nobody answers it for them
        ("signature", signed.instance_id, signed.task_of("secretary1", DETERMINE).id),
    }
    evaluation_events = case_events(backend, walk.instance_id)

    departures.carry_out(backend, admin(backend), member2, MOVE, "工作调动到红星嘎查")

    moved = member_by_code(backend, "ZA-M02")
    assert (moved.branch_id, moved.village_id, moved.status) == (BRANCH_2, VILLAGE_3, "active")
    assert moved.status_since == today(backend)
    assert (account(backend, "member2").branch_id, account(backend, "member2").village_id) == (
        BRANCH_2,
        VILLAGE_3,
    )
    assert [t.id for t in tasks_assigned(backend, "member2")] == [evaluation.id]  # it stays theirs
    assert case_events(backend, walk.instance_id) == evaluation_events  # and nothing is recorded
    assert signers_of(backend, signed.instance_id) == ["secretary1"]
    transfer = case_events(backend, signed.instance_id)[-1]
    assert transfer["kind"] == "transfer" and transfer["actor"] == "admin"
    assert transfer["payload"]["to"] == "secretary1" and transfer["payload"]["from"] == "member2"
    assert transfer["payload"]["handover"] == "signature"
    assert transfer["payload"]["reason"] == "工作调动到红星嘎查"
    (event,) = org_events(backend, "member")
    assert event["payload"]["action"] == "move" and event["payload"]["reason"] == "工作调动到红星嘎查"
    assert event["payload"]["to_branch"] == "红星嘎查党支部"
    assert (event["payload"]["handed_over_to"], event["payload"]["handed_over"]) == ("secretary1", 1)
    # The evaluation's deadline decides: when it passes, the unanswered evaluation ends with it.
    walk.complete("member3", dict(GOOD), "Task_member_evaluation")
    walk.complete("member4", dict(GOOD), "Task_member_evaluation")
    walk.pass_notice()
    assert tasks_assigned(backend, "member2") == []
    assert_verifies(backend)


def test_a_moved_member_no_longer_acts_in_the_old_branch_and_starts_nothing_there(kernel: Kernel) -> None:
    member5 = _member_id(kernel, "member5")
    departures.carry_out(kernel, admin(kernel), member5, MOVE, "工作调动")
    who = accounts.actor_for(kernel, "member5")
    assert who.branch_id == BRANCH_2
    walk = CreationWalk(kernel, candidate="member1", evaluators=("member2", "member3", "member4"))
    walk.start()
    with pytest.raises(FormInvalid, match="not an active member of this branch"):
        CreationWalk(kernel, candidate="member6", evaluators=("member5", "member7", "member8")).start()


def test_a_member_holding_an_area_place_is_not_moved_and_the_area_is_named(backend: Kernel) -> None:
    divide(backend)  # member1 and member4 share 东风村牧业组, member3 alone in 治安村一组
    member4 = _member_id(backend, "member4")
    plan = departures.plan(backend, admin(backend), member4, MOVE)
    assert not plan.ok
    (blocker,) = plan.blockers
    assert blocker.kind == "area" and "area_id" in blocker.link
    assert "牵头党员" in blocker.zh and "责任区人员调整" in blocker.zh
    before = table_contents(backend)
    with pytest.raises(RuleViolation, match="cannot move yet") as refused:
        departures.carry_out(backend, admin(backend), member4, MOVE, "工作调动")
    assert "责任区" in refused.value.params["zh"]
    assert table_contents(backend) == before


def test_a_nominee_is_not_moved_while_their_nomination_runs(backend: Kernel) -> None:
    walk = CreationWalk(backend, candidate="member6", evaluators=("member2", "member3", "member4"))
    walk.start()
    plan = departures.plan(backend, admin(backend), _member_id(backend, "member6"), Departure("left"))
    assert [(b.kind, b.link) for b in plan.blockers] == [("case", {"instance_id": walk.instance_id})]
    before = table_contents(backend)
    with pytest.raises(RuleViolation):
        departures.carry_out(
            backend, admin(backend), _member_id(backend, "member6"), Departure("left"), "去世"
        )
    assert table_contents(backend) == before


def test_a_post_holder_is_not_moved_and_the_post_is_named(kernel: Kernel) -> None:
    post_id = establish_post(kernel, "member1", ("member2", "member3", "member4"))
    plan = departures.plan(kernel, admin(kernel), _member_id(kernel, "member1"), MOVE)
    assert [(b.kind, b.link) for b in plan.blockers] == [("post", {"post_id": post_id})]
    assert "ZA-SFG" in plan.blockers[0].zh


def test_a_secretary_is_not_moved_with_the_old_branchs_role(kernel: Kernel) -> None:
    plan = departures.plan(kernel, admin(kernel), _member_id(kernel, "secretary1"), MOVE)
    assert [b.kind for b in plan.blockers] == ["branch_role"]
    assert "支部角色" in plan.blockers[0].zh


def test_leaving_disables_the_account_and_its_evaluation_stays_without_a_receiver(backend: Kernel) -> None:
    walk = CreationWalk(backend, candidate="member1", evaluators=("member2", "member3", "member4"))
    walk.start()
    evaluation = walk.task_of("member3", "Task_member_evaluation")
    member3 = _member_id(backend, "member3")
    on = dt.date(2026, 11, 20)
    plan = departures.plan(backend, admin(backend), member3, Departure("left", on=on))
    assert plan.ok and [i.what for i in plan.items] == ["personal"]
    assert (plan.handover_to, plan.choices, plan.handed) == (None, [], [])  # nobody needed
    before = case_events(backend, walk.instance_id)
    departures.carry_out(backend, admin(backend), member3, Departure("left", on=on), "去世")
    member = member_by_code(backend, "ZA-M03")
    assert (member.status, member.status_since, member.branch_id) == ("left", on, 1)
    assert account(backend, "member3").active is False
    with pytest.raises(Exception, match="no active account"):
        accounts.actor_for(backend, "member3")
    assert [t.id for t in tasks_assigned(backend, "member3")] == [evaluation.id]
    assert tasks_assigned(backend, "secretary1") == []
    assert case_events(backend, walk.instance_id) == before
    (event,) = org_events(backend, "member")
    assert (event["payload"]["handed_over"], event["payload"]["handed_over_to"]) == (0, None)
    departures.carry_out(backend, admin(backend), member3, Departure("active"), "登记有误，恢复在册")
    assert member_by_code(backend, "ZA-M03").status == "active"
    assert account(backend, "member3").active is False  # the account is enabled on its own page
    assert_verifies(backend)


def test_a_handover_to_someone_outside_the_old_branch_is_refused(kernel: Kernel) -> None:
    asked_to_co_sign(kernel, "member2")
    before = table_contents(kernel)
    departure = Departure("move", branch_id=BRANCH_2, handover_to="secretary2")
    with pytest.raises(RuleViolation, match="may not take over"):
        departures.carry_out(kernel, admin(kernel), _member_id(kernel, "member2"), departure, "调动")
    assert table_contents(kernel) == before


@pytest.mark.parametrize(
    ("departure", "reason", "message"),
    [
        (MOVE, "", "needs a reason"),
        (Departure("move", branch_id=1), "调动", "already in"),
        (Departure("move", branch_id=BRANCH_2, village_id=1), "调动", "not one of"),
        (Departure("move", branch_id=BRANCH_2, on=dt.date(2030, 1, 1)), "调动", "in the future"),
        (Departure("active"), "恢复", "already active"),
    ],
)
def test_a_move_that_makes_no_sense_is_refused_and_stores_nothing(
    kernel: Kernel, departure: Departure, reason: str, message: str
) -> None:
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match=message):
        departures.carry_out(kernel, admin(kernel), _member_id(kernel, "member2"), departure, reason)
    assert table_contents(kernel) == before


def test_only_an_administrator_moves_a_member_and_the_committee_may_preview(kernel: Kernel) -> None:
    member2 = _member_id(kernel, "member2")
    assert departures.plan(kernel, actor(kernel, "committee"), member2, MOVE).ok
    with pytest.raises(NotAllowed):
        departures.carry_out(kernel, actor(kernel, "committee"), member2, MOVE, "调动")
    with pytest.raises(NotAllowed):
        departures.plan(kernel, actor(kernel, "secretary1"), member2, MOVE)
