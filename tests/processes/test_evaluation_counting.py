"""The evaluation counts what came in (R2, R3.2): at the deadline the answers received are tallied
and the decision table nomination_evaluation decides, its minimum counts included; with too few,
the branch may extend once (Task_extend_evaluation) or the nomination lapses. Paper ballots (测评票)
entered by the branch count with the villagers' answers and are marked as paper."""

from __future__ import annotations

import datetime as dt

import pytest
from nomination_support import (
    enter_paper_ballots,
    evaluation_until,
    extend,
    let_lapse,
    members_answer,
    past_the_deadline,
    verified,
    villagers_answer,
)
from support import GOOD, CreationWalk, actor, ready_rows

from xianfeng.engine.errors import FormInvalid, TokenInvalid
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import instances, notices, tasks

LOW = {"political": 3, "work": 3, "service": 3, "conduct": 3, "discipline": 3}


def _walk(kernel: Kernel, evaluators: tuple[str, ...] = ("member2", "member3", "member4")) -> CreationWalk:
    return CreationWalk(kernel, evaluators=evaluators)


def _data(walk: CreationWalk) -> dict:
    return walk.show()["data"]


def test_the_deadline_tallies_the_answers_received_and_the_table_decides(backend: Kernel) -> None:
    kernel = backend
    walk = _walk(kernel, ("member2", "member3", "member4", "member5"))
    walk.start(public_evaluator_count=6)
    members_answer(walk, ("member2", "member3", "member4"))
    villagers_answer(walk, 5)
    past_the_deadline(walk)
    data = _data(walk)
    assert (data["member_count"], data["public_count"], data["evaluation_result"]) == (3, 5, "passed")
    assert data["member_score"] == 96.0
    assert [n["title"] for n in notices.active_notices(kernel)] == [
        "党员示范岗测评结果公示：" + data["candidate"]["name"]
    ]
    assert not [r for r in ready_rows(kernel, walk.instance_id) if r.spec_id == "Task_member_evaluation"]
    verified(kernel)


def test_too_few_answers_let_the_branch_extend_once_and_every_round_counts(backend: Kernel) -> None:
    kernel = backend
    walk = _walk(kernel)
    walk.start()
    members_answer(walk, ("member2", "member3"))
    villagers_answer(walk, 5)
    first_deadline = evaluation_until(walk)
    past_the_deadline(walk)
    assert _data(walk)["evaluation_result"] == "too_few"
    assert _data(walk)["evaluation_note"] == "参加测评的党员不足 3 人（实到 2 人）"
    assert walk.task_of(walk.secretary, "Task_extend_evaluation")
    extend(walk, days=5)
    assert evaluation_until(walk) > first_deadline
    waiting = {r.assignee_user_id for r in ready_rows(kernel, walk.instance_id) if r.role == "member"}
    assert waiting == {actor(kernel, "member4").user_id}, "only the member who did not answer is asked again"
    assert walk.public_tokens() == [], "every villager's link was answered: none is issued again"
    members_answer(walk, ("member4",))
    data = _data(walk)
    assert (data["member_count"], data["public_count"], data["evaluation_result"]) == (3, 5, "passed")
    assert data["extension_count"] == 1
    verified(kernel)


def test_an_extension_reopens_only_the_missing_villagers_links(kernel: Kernel) -> None:
    walk = _walk(kernel)
    walk.start()
    members_answer(walk, ("member2", "member3", "member4"))
    old_tokens = walk.public_tokens()
    villagers_answer(walk, 3)
    past_the_deadline(walk)
    extend(walk)
    new_tokens = walk.public_tokens()
    assert len(new_tokens) == 2 and not set(new_tokens) & set(old_tokens)
    with pytest.raises(TokenInvalid):
        tasks.complete_by_token(kernel, old_tokens[-1], dict(GOOD))
    villagers_answer(walk, 2)
    data = _data(walk)
    assert (data["member_count"], data["public_count"], data["evaluation_result"]) == (3, 5, "passed")
    verified(kernel)


def test_too_few_answers_after_the_extension_lapse_the_nomination(kernel: Kernel) -> None:
    walk = _walk(kernel)
    walk.start()
    members_answer(walk, ("member2",))
    past_the_deadline(walk)
    extend(walk)
    past_the_deadline(walk)
    view = walk.show()
    assert (view["status"], view["outcome"]) == ("completed", "evaluation_lapsed")
    assert view["data"]["member_count"] == 1 and view["data"]["extension_count"] == 1
    assert ready_rows(kernel, walk.instance_id) == []
    verified(kernel)


def test_the_branch_may_let_a_nomination_with_too_few_answers_lapse(kernel: Kernel) -> None:
    walk = _walk(kernel)
    walk.start()
    past_the_deadline(walk)
    outcome = let_lapse(walk)
    assert (outcome.status, outcome.outcome) == ("completed", "evaluation_lapsed")


def test_low_scores_received_by_the_deadline_fail_the_evaluation(kernel: Kernel) -> None:
    walk = _walk(kernel)
    walk.start()
    members_answer(walk, ("member2", "member3", "member4"), LOW)
    villagers_answer(walk, 5)
    assert walk.show()["outcome"] == "evaluation_failed"
    assert _data(walk)["evaluation_note"] == "党员测评得分低于 80 分"


def test_paper_ballots_count_with_the_villagers_and_are_marked_as_paper(kernel: Kernel) -> None:
    walk = _walk(kernel)
    walk.start(public_evaluator_count=2, paper_ballot_count=4)
    members_answer(walk, ("member2", "member3", "member4"))
    villagers_answer(walk, 2)
    assert walk.task_of(walk.secretary, "Task_paper_ballots")
    enter_paper_ballots(walk, "5 5 5 5 5\n4,4,4,4,4\r\n5 4 5 4 5\n3 3 3 3 3")
    data = _data(walk)
    assert (data["public_online_count"], data["paper_count"], data["public_count"]) == (2, 4, 6)
    # online 2 x 24 points + paper (25 + 20 + 23 + 15) = 131 points over 6 ballots of 5 criteria
    assert data["public_score"] == round(131 * 20 / 30, 1)
    assert len(data["paper_photos"]) == 1 and "paper_ballots" not in data
    (notice,) = notices.active_notices(kernel)
    assert "群众测评6人（其中纸质测评票 4 张）" in notice["body"]
    events = instances.history(kernel, actor(kernel, "auditor"), walk.instance_id)
    (paper,) = [e for e in events if e["element"] == "Task_paper_ballots"]
    assert paper["payload"]["data"]["photos"] == data["paper_photos"]
    verified(kernel)


def test_a_paper_ballot_that_is_not_five_ratings_is_refused(kernel: Kernel) -> None:
    walk = _walk(kernel)
    walk.start(public_evaluator_count=0, paper_ballot_count=5)
    members_answer(walk, ("member2", "member3", "member4"))
    with pytest.raises(FormInvalid, match="ballots"):
        enter_paper_ballots(walk, "5 5 5 5 5\n5 5 6 5 5")
    assert walk.task_of(walk.secretary, "Task_paper_ballots")


def test_a_paper_only_evaluation_needs_no_links(kernel: Kernel) -> None:
    walk = _walk(kernel)
    walk.start(public_evaluator_count=0, paper_ballot_count=5)
    assert walk.public_tokens() == []
    members_answer(walk, ("member2", "member3", "member4"))
    enter_paper_ballots(walk, "\n".join(["5 5 5 5 5"] * 5))
    assert _data(walk)["evaluation_result"] == "passed"
    assert evaluation_until(walk) > dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
