"""案件查询: an auditor finds any case, running or ended, by procedure, status, outcome, branch,
village, the person it concerns, when it started and the words of its title; pages through them
newest first without losing or repeating one; and a branch sees its own cases only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from support import CreationWalk, actor, member_id_of

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import FormInvalid, NotAllowed
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import tasks
from xianfeng.engine.services.audit import cases
from xianfeng.engine.services.audit.case_filters import CaseFilters, Cursor, PageRequest

CREATION = "model_post_creation"
YEAR_2026 = {"started_from": dt.date(2026, 1, 1), "started_to": dt.date(2026, 12, 31)}
FIRST_BRANCH, SECOND_BRANCH = 1, 2
ZHIAN, DONGFENG = 1, 2  # the first branch's villages: even-numbered demo members live in 治安村


@dataclass(frozen=True)
class Year:
    """The cases of a year in the first branch, one in the second, and one of the next year."""

    lapsed: int
    established: int
    rejected: int
    assessment: int
    running: int
    other_branch: int
    next_year: int

    def all(self) -> set[int]:
        return set(vars(self).values())


def _walk(kernel: Kernel, candidate: str, *evaluators: str, secretary: str = "secretary1") -> CreationWalk:
    return CreationWalk(kernel, secretary=secretary, candidate=candidate, evaluators=evaluators)


def _through_notice(walk: CreationWalk, **nomination: Any) -> CreationWalk:
    walk.start(**nomination)
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    return walk


def a_year_of_cases(kernel: Kernel) -> Year:
    """member6's nomination lapses (no evaluation in time), member1's establishes a post that is
    then assessed, member2's is rejected, member9's waits for evaluation; secretary2 nominates
    member11; member10 is nominated in January of the next year."""
    lapsed = _walk(kernel, "member6", "member2", "member3", "member4")
    lapsed.start()
    lapsed.pass_notice()  # the evaluation period ends first, with too few evaluated
    lapsed.complete(
        lapsed.secretary, {"extend": False, "reason": "人数不足，不再延长"}, "Task_extend_evaluation"
    )
    established = _through_notice(_walk(kernel, "member1", "member3", "member5", "member7"))
    assert established.decide("approve").outcome == "established"
    post_id = int(established.show()["data"]["post"]["post_id"])
    rejected = _through_notice(
        _walk(kernel, "member2", "member4", "member6", "member8"), post_title="Farm Library 书屋"
    )
    assert rejected.decide("reject").outcome == "rejected"
    assessment = tasks.start(kernel, actor(kernel, "secretary1"), "periodic_assessment", {"post_id": post_id})
    running = _walk(kernel, "member9", "member2", "member4", "member6")
    running.start()
    other = _walk(kernel, "member11", "member12", "member13", "member14", secretary="secretary2")
    other.start()
    kernel.clock.set(dt.datetime(2027, 1, 6, 9, 0, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    next_year = _walk(kernel, "member10", "member3", "member5", "member7")
    next_year.start()
    return Year(
        lapsed=lapsed.instance_id,
        established=established.instance_id,
        rejected=rejected.instance_id,
        assessment=assessment.instance_id,
        running=running.instance_id,
        other_branch=other.instance_id,
        next_year=next_year.instance_id,
    )


def found(kernel: Kernel, who: str = "auditor", **filters: Any) -> list[int]:
    """The ids of the cases `who` finds, newest first (one page of up to 200)."""
    page = cases.search(kernel, actor(kernel, who), CaseFilters(**filters), PageRequest(limit=200))
    assert page.total == len(page.rows)
    return [row.id for row in page.rows]


def test_an_auditor_finds_the_lapsed_and_the_rejected_nominations_of_a_year(backend: Kernel) -> None:
    year = a_year_of_cases(backend)
    nominations = found(backend, procedure=CREATION, **YEAR_2026)
    assert nominations == [year.other_branch, year.running, year.rejected, year.established, year.lapsed]
    assert found(
        backend, procedure=CREATION, status="completed", outcome="evaluation_lapsed", **YEAR_2026
    ) == [year.lapsed]
    assert found(backend, procedure=CREATION, outcome="rejected", **YEAR_2026) == [year.rejected]
    page = cases.search(backend, actor(backend, "auditor"), CaseFilters(procedure=CREATION, **YEAR_2026))
    rows = {row.id: row for row in page.rows}
    assert (rows[year.lapsed].outcome, rows[year.lapsed].outcome_name) == (
        "evaluation_lapsed",
        "测评逾期，推荐失效",
    )
    assert (rows[year.rejected].outcome, rows[year.rejected].outcome_name) == ("rejected", "不予批准")
    assert (rows[year.established].outcome, rows[year.established].outcome_name) == (
        "established",
        "示范岗设立",
    )
    assert rows[year.rejected].ended_at is not None and rows[year.rejected].waiting == []
    running = rows[year.running]
    assert (running.status, running.outcome, running.ended_at) == ("running", "", None)
    assert running.procedure.startswith("党员示范岗创建") and running.branch == "治安村党支部"
    assert {step.role for step in running.waiting} == {"member", "public"}
    assert {step.count for step in running.waiting if step.role == "public"} == {5}


def test_each_filter_narrows_the_list(backend: Kernel) -> None:
    year = a_year_of_cases(backend)
    assert set(found(backend)) == year.all()
    assert found(backend, procedure="periodic_assessment") == [year.assessment]
    assert set(found(backend, status="running")) == {
        year.assessment,
        year.running,
        year.other_branch,
        year.next_year,
    }
    assert found(backend, branch_id=SECOND_BRANCH) == [year.other_branch]
    # A nomination's village is its nominee's; an assessment has its post's.
    assert set(found(backend, village_id=DONGFENG)) == {year.established, year.assessment, year.running}
    assert set(found(backend, village_id=ZHIAN)) == {year.lapsed, year.rejected, year.next_year}
    # The nominee, the holder of the post assessed, the evaluators named, whoever acted.
    assert set(found(backend, member_id=member_id_of(backend, "member1"))) == {
        year.established,
        year.assessment,
    }
    assert set(found(backend, member_id=member_id_of(backend, "member5"))) == {
        year.established,
        year.next_year,
    }
    assert found(backend, member_id=member_id_of(backend, "secretary2")) == [year.other_branch]
    # Whole days in China time: the established nomination started at 00:00:01 on 10 December.
    assert found(backend, started_to=dt.date(2026, 12, 9)) == [year.lapsed]
    assert found(backend, started_from=dt.date(2026, 12, 10), started_to=dt.date(2026, 12, 10)) == [
        year.established
    ]
    assert found(backend, started_from=dt.date(2027, 1, 1)) == [year.next_year]
    assert found(backend, q="farm LIBRARY") == [year.rejected]
    assert found(backend, q="100%_") == []


def test_the_listed_village_of_a_nomination_is_its_nominees(backend: Kernel) -> None:
    year = a_year_of_cases(backend)
    page = cases.search(backend, actor(backend, "auditor"), CaseFilters(branch_id=FIRST_BRANCH))
    villages = {row.id: (row.village_id, row.village) for row in page.rows}
    assert villages[year.rejected] == (None, "治安村")
    assert villages[year.assessment] == (DONGFENG, "东风村")


def test_keyset_pages_give_every_case_once_while_a_new_case_starts_between_reads(backend: Kernel) -> None:
    started = []
    for number in range(1, 8):
        walk = _walk(backend, f"member{number}", *(f"member{n}" for n in (8, 9, 10) if n != number))
        walk.start()
        started.append(walk.instance_id)
        backend.clock.advance(minutes=1 if number % 3 else 0)  # type: ignore[attr-defined]
    auditor = actor(backend, "auditor")
    first = cases.search(backend, auditor, CaseFilters(), PageRequest(limit=3))
    late = _walk(backend, "member10", "member8", "member9", "member7")
    late.start()
    pages, page = [first], first
    while page.next:
        page = cases.search(backend, auditor, CaseFilters(), PageRequest(after=_cursor(page.next), limit=3))
        pages.append(page)
    seen = [row.id for p in pages for row in p.rows]
    assert seen == sorted(started, reverse=True)
    assert [p.total for p in pages] == [7, 8, 8]
    back = [pages[-1]]
    while back[-1].previous:
        before = PageRequest(before=_cursor(back[-1].previous), limit=3)
        back.append(cases.search(backend, auditor, CaseFilters(), before))
    assert [[row.id for row in p.rows] for p in back[1:]] == [
        [row.id for row in pages[1].rows],
        [row.id for row in first.rows],
        [late.instance_id, *[row.id for row in first.rows][:2]],  # the newest page is always full
    ]


def _cursor(text: str | None) -> Cursor:
    assert text is not None
    parsed = PageRequest.from_query({"after": text}).after
    assert parsed is not None
    return parsed


def test_a_branch_sees_its_own_cases_and_is_refused_another_branchs(backend: Kernel) -> None:
    year = a_year_of_cases(backend)
    assert set(found(backend, "secretary1")) == year.all() - {year.other_branch}
    assert found(backend, "secretary2") == [year.other_branch]
    assert found(backend, "secretary2", member_id=member_id_of(backend, "member1")) == []
    assert found(backend, "committee", branch_id=SECOND_BRANCH) == [year.other_branch]
    with pytest.raises(NotAllowed, match="another branch"):
        found(backend, "secretary2", branch_id=FIRST_BRANCH)
    with pytest.raises(NotAllowed, match="another branch"):
        found(backend, "secretary2", village_id=ZHIAN)


def test_a_member_without_another_role_is_refused(backend: Kernel) -> None:
    with pytest.raises(NotAllowed, match="may not search cases"):
        found(backend, "member1")


def test_bad_filter_values_are_refused_naming_each_field(backend: Kernel) -> None:
    with pytest.raises(FormInvalid) as refused:
        cases.parse_query(
            {
                "started_from": "2026-13-01",
                "started_to": "yesterday",
                "branch_id": "+1",
                "member_id": "٣",
                "after": "not-a-cursor",
                "limit": "500",
            }
        )
    assert set(refused.value.errors) == {
        "started_from",
        "started_to",
        "branch_id",
        "member_id",
        "after",
        "limit",
    }
    assert "YYYY-MM-DD" in refused.value.errors["started_from"]
    assert "不是有效的日期" in refused.value.errors_zh["started_to"]
    with pytest.raises(FormInvalid) as refused:
        found(backend, status="finished", outcome="lapsed", procedure="no_such_process", branch_id=99)
    errors = refused.value.errors
    assert set(errors) == {"status", "outcome", "procedure", "branch_id"}
    assert "'finished'" in errors["status"] and "running" in errors["status"]
    assert "evaluation_lapsed" in errors["outcome"]
    assert "model_post_creation" in errors["procedure"] and "approval" not in errors["procedure"]
    with pytest.raises(FormInvalid) as refused:
        found(backend, started_from=dt.date(2026, 12, 2), started_to=dt.date(2026, 12, 1))
    assert list(refused.value.errors) == ["started_to"]
    with pytest.raises(FormInvalid) as refused:
        found(backend, branch_id=FIRST_BRANCH, village_id=3)
    assert list(refused.value.errors) == ["village_id"]


def test_the_choices_come_from_the_diagrams_and_the_searchers_scope(backend: Kernel) -> None:
    browse = cases.browse(backend, actor(backend, "secretary2"), {})
    known = browse.choices.known
    procedures = {choice.value: choice.name for choice in known.procedures}
    assert procedures[CREATION] == "党员示范岗创建 Model post creation"
    assert "approval" not in procedures and "revocation" in procedures
    lapsed = [o for o in known.outcomes if o.value == "evaluation_lapsed"]
    assert [(o.name, o.group) for o in lapsed] == [("测评逾期，推荐失效", CREATION)]
    assert [b.value for b in browse.choices.branches] == [str(SECOND_BRANCH)]
    assert {v.name for v in browse.choices.villages} == {"红星嘎查", "胜利嘎查"}
    assert browse.page is not None and browse.page.rows == [] and browse.errors == {}
    refused = cases.browse(backend, actor(backend, "auditor"), {"status": "nope", "started_from": "x"})
    assert refused.page is None and set(refused.errors) == {"status", "started_from"}
