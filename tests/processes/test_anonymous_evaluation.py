"""Democratic evaluation is anonymous (民主测评, R2, R3.2): the scores each member or villager gave
are read by the committee and auditors (as the tasks' `answersReadBy` says) and by the evaluator,
for their own; the nominee, the branch and other members see the tally only, in the history, the
history at any point and the printed 审批表 alike (engine/services/disclosure.py)."""

from __future__ import annotations

from typing import Any

import pytest
from nomination_support import enter_paper_ballots, members_answer, villagers_answer
from support import CreationWalk, actor

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import instances
from xianfeng.engine.services.audit import dossier, timeline

SCORES = {"political": 5, "work": 4, "service": 3, "conduct": 5, "discipline": 4, "comment": "服务热情"}


@pytest.fixture
def evaluated(kernel: Kernel) -> CreationWalk:
    walk = CreationWalk(kernel)
    walk.start(public_evaluator_count=5, paper_ballot_count=1)
    members_answer(walk, ("member2", "member3", "member4"), SCORES)
    villagers_answer(walk, 5, SCORES)
    enter_paper_ballots(walk, "5 5 5 5 5")
    return walk


def _answers(kernel: Kernel, walk: CreationWalk, reader: str) -> dict[str, list[Any]]:
    """What each evaluation event of the history shows the reader, by who gave it."""
    shown: dict[str, list[Any]] = {}
    for event in instances.history(kernel, actor(kernel, reader), walk.instance_id):
        if event["element"] in ("Task_member_evaluation", "Task_public_evaluation", "Task_paper_ballots"):
            shown.setdefault(event["actor"], []).append(event["payload"]["data"])
    return shown


def test_the_nominee_and_other_members_see_no_ones_scores(evaluated: CreationWalk) -> None:
    kernel = evaluated.kernel
    for reader in ("member1", "member5", "member6"):
        shown = _answers(kernel, evaluated, reader)
        assert all(data == {} for given in shown.values() for data in given), reader
    history = instances.history(kernel, actor(kernel, "member1"), evaluated.instance_id)
    assert all(e["payload"].get("withheld") for e in history if e["element"] == "Task_member_evaluation")


def test_an_evaluator_sees_their_own_scores_only(evaluated: CreationWalk) -> None:
    shown = _answers(evaluated.kernel, evaluated, "member2")
    assert shown["member2"] == [SCORES]
    assert shown["member3"] == [{}] and all(d == {} for d in shown["public"])


def test_the_committee_and_auditors_read_every_score(evaluated: CreationWalk) -> None:
    for reader in ("committee", "auditor"):
        shown = _answers(evaluated.kernel, evaluated, reader)
        assert shown["member3"] == [SCORES] and shown["public"] == [SCORES] * 5
        assert shown["secretary1"][0]["ballots"] == "5 5 5 5 5"


def test_the_branch_sees_the_tally_but_not_the_members_scores(evaluated: CreationWalk) -> None:
    kernel = evaluated.kernel
    shown = _answers(kernel, evaluated, "secretary1")
    assert shown["member2"] == [{}] and shown["public"] == [{}] * 5
    assert shown["secretary1"][0]["ballots"] == "5 5 5 5 5", "the ballots it entered itself"
    data = instances.show(kernel, actor(kernel, "secretary1"), evaluated.instance_id)["data"]
    assert (data["member_count"], data["public_count"], data["paper_count"]) == (3, 6, 1)
    assert "member_evaluations" not in data and "paper_ballots" not in data


def _moment_keys(kernel: Kernel, walk: CreationWalk, reader: str) -> tuple[dict[str, Any], set[str]]:
    """After the first evaluation: that event's data as shown, and every data key of the moment."""
    case = timeline.case_at(kernel, actor(kernel, reader), walk.instance_id, 2)
    assert case.moment is not None
    keys = set(case.moment.data).union(*(set(c.data) for c in case.moment.called))
    return case.events[1].payload["data"], keys


def test_the_history_at_any_point_withholds_scores_from_the_nominee(evaluated: CreationWalk) -> None:
    kernel = evaluated.kernel
    answers = {"member_evaluation", "member_evaluations"}
    audited, audited_keys = _moment_keys(kernel, evaluated, "auditor")
    assert audited == SCORES and audited_keys & answers
    seen, seen_keys = _moment_keys(kernel, evaluated, "member1")
    assert seen == {} and not seen_keys & answers


def test_a_branchs_printed_approval_form_withholds_the_scores(evaluated: CreationWalk) -> None:
    kernel = evaluated.kernel
    url = "https://example.test/instances/1"
    branch = dossier.approval_form(kernel, actor(kernel, "secretary1"), evaluated.instance_id, url)
    steps = [s for s in branch.case.steps if s.step == "党员测评"]
    withheld = [("内容", "个人测评内容，仅审计、镇党委可见")]
    assert steps and all([(a.label, a.text) for a in s.answers] == withheld for s in steps)
    audited = dossier.approval_form(kernel, actor(kernel, "auditor"), evaluated.instance_id, url)
    labelled = [a.label for s in audited.case.steps if s.step == "党员测评" for a in s.answers]
    assert "政治素质优，带头学习提高" in labelled
