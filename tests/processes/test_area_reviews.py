"""Reviews of responsibility areas (R9–R11): goals the work records report against, the disclosure
that enters the lasting public archive, an upheld objection sending the grades back, and what each
grade leads to as the decision table says."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from area_support import EXCELLENT, GOOD, WEAK, ReviewWalk, areas_with, disclosures, divide, names
from support import actor, member_id_of

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import FormInvalid, NotAllowed
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import CommendationMark, Criticism, PublicNotice, Reward
from xianfeng.engine.process import catalog
from xianfeng.engine.services import area_goals, areas, audit, ledger, notices, setup


def _reviewed_area(kernel: Kernel) -> int:
    divide(kernel).decide("approve")
    return areas_with(kernel)[1].id  # 东风村牧业组: member1 (weak organising), member4 (lead)


def _rows(kernel: Kernel, model: type) -> list:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(model).order_by(model.id)).scalars())


def _notice(kernel: Kernel) -> PublicNotice:
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(
            sa.select(PublicNotice).where(PublicNotice.status == "active")
        ).scalar_one()


def test_a_review_discloses_work_grades_and_satisfaction_then_rewards_and_criticises(kernel: Kernel) -> None:
    area_id = _reviewed_area(kernel)
    review = ReviewWalk(kernel).begin(area_id)
    review.hear_and_survey(satisfied=10)
    review.grade(WEAK, EXCELLENT)
    (archived,) = disclosures(kernel)
    member1, member4 = names(kernel, "member1", "member4")
    assert (
        archived.status == "on_notice" and archived.responses == 10 and float(archived.satisfaction) == 100.0
    )
    assert [(g["name"], g["label"]) for g in archived.grades] == [(member1, "较差"), (member4, "优秀")]
    assert archived.work["records"] == 0 and "至" in archived.period
    assert _rows(kernel, Reward) == [] and _rows(kernel, Criticism) == []  # not before the disclosure stands
    notice = _notice(kernel)
    assert (
        notice.title == "党员责任区履职情况公开：东风村牧业组"
        and "较差" in notice.body
        and "优秀" in notice.body
    )
    review.pass_notice()  # the notice period ends without objection
    assert disclosures(kernel)[0].status == "published"
    outcome = review.complete(
        "secretary1", {"follow_up": "支部书记谈心谈话，明确每周入户两次。"}, "Task_criticism_follow_up"
    )
    assert outcome.outcome == "reviewed"
    (criticism,) = _rows(kernel, Criticism)
    (reward,) = _rows(kernel, Reward)
    assert criticism.member_id == member_id_of(kernel, "member1") and criticism.follow_up.startswith(
        "支部书记"
    )
    assert reward.member_id == member_id_of(kernel, "member4") and reward.area_id == area_id
    merits = [m.reason for m in _rows(kernel, CommendationMark) if m.kind == "merit"]
    assert merits == ["责任区“东风村牧业组”履职评定优秀"]
    year = kernel.clock.now().astimezone(CHINA_TZ).year
    (entry,) = ledger.ledger(kernel, actor(kernel, "committee"), year)
    assert entry.member_id == member_id_of(kernel, "member4") and entry.eligible
    assert audit.verify(kernel).ok


def test_an_upheld_objection_withdraws_the_disclosure_and_sends_the_grades_back(kernel: Kernel) -> None:
    area_id = _reviewed_area(kernel)
    review = ReviewWalk(kernel).begin(area_id)
    review.hear_and_survey()
    review.grade(WEAK, EXCELLENT)
    notices.file_objection(kernel, _notice(kernel).id, "该党员的评定与实际不符，请核实。")
    review.complete(
        "secretary1",
        {
            "upheld": True,
            "finding": "经核实，王某某入户走访记录齐全，评定有误。",
            "answer": "异议成立，重新评定。",
        },
        "Task_review_objection",
    )
    (withdrawn,) = disclosures(kernel)
    assert withdrawn.status == "withdrawn" and withdrawn.note.startswith("经核实")
    assert review.task_of("secretary1", "Task_grade_member")  # back to the branch
    assert _rows(kernel, Reward) == [] and _rows(kernel, Criticism) == []
    review.grade(GOOD, EXCELLENT)
    review.pass_notice()
    assert [d.status for d in disclosures(kernel)] == ["withdrawn", "published"]
    assert [g["label"] for g in disclosures(kernel)[1].grades] == ["称职", "优秀"]
    assert _rows(kernel, Criticism) == [] and len(_rows(kernel, Reward)) == 1
    assert review.show()["status"] == "completed"
    assert audit.verify(kernel).ok


def test_what_a_grade_leads_to_is_the_decision_tables(kernel: Kernel) -> None:
    # The administrator makes 称职 (good) earn a merit in the ledger too.
    files = catalog.builtin_files()
    text = files["area_grade_consequence.dmn"].decode()
    old = '<outputEntry id="Output_good_merit"><text>""</text>'
    assert old in text
    changed = text.replace(old, '<outputEntry id="Output_good_merit"><text>"责任区履职称职"</text>')
    setup.deploy(
        kernel, {**files, "area_grade_consequence.dmn": changed.encode()}, "admin", "称职也记评先依据"
    )
    area_id = _reviewed_area(kernel)
    review = ReviewWalk(kernel).begin(area_id)
    review.hear_and_survey()
    review.grade(GOOD, GOOD)
    review.pass_notice()
    merits = sorted((m.member_id, m.reason) for m in _rows(kernel, CommendationMark) if m.kind == "merit")
    assert merits == sorted(
        [
            (member_id_of(kernel, "member1"), "责任区履职称职"),
            (member_id_of(kernel, "member4"), "责任区履职称职"),
        ]
    )
    assert _rows(kernel, Reward) == []


def test_members_record_work_and_the_branch_comments(kernel: Kernel) -> None:
    divide(kernel).decide("approve")
    record_id = areas.record_work(
        kernel,
        actor(kernel, "member4"),
        {
            "kind": "service",
            "domain": "hardship_relief",
            "happened_on": "2026-11-20",
            "what": "为困难户代办低保续期手续",
            "for_whom": "东风村某户",
            "outcome": "已办结",
        },
    )
    with pytest.raises(FormInvalid) as refused:
        areas.record_work(
            kernel,
            actor(kernel, "member4"),
            {"kind": "political", "happened_on": "2026-11-21", "what": "参加支部主题党日"},
        )
    assert "political_activity" in refused.value.errors
    with pytest.raises(NotAllowed, match="holds no active responsibility area"):
        areas.record_work(
            kernel,
            actor(kernel, "member9"),
            {
                "kind": "political",
                "political_activity": "study",
                "happened_on": "2026-11-21",
                "what": "学习党章和党内法规",
            },
        )
    areas.comment_work(kernel, actor(kernel, "secretary1"), record_id, "工作扎实，继续保持。")
    with pytest.raises(NotAllowed):
        areas.comment_work(kernel, actor(kernel, "secretary2"), record_id, "越权点评")
    area_id = areas_with(kernel)[1].id
    (row,) = areas.work_records(kernel, actor(kernel, "secretary1"), area_id)
    assert (row["domain"], [c["text"] for c in row["comments"]]) == (
        "hardship_relief",
        ["工作扎实，继续保持。"],
    )


def test_work_records_report_against_the_areas_goals_and_the_review_counts_them(kernel: Kernel) -> None:
    area_id = _reviewed_area(kernel)
    with pytest.raises(NotAllowed):
        area_goals.add_goal(
            kernel, actor(kernel, "member4"), area_id, {"title": "走访全部低保户", "target_count": 2}
        )
    with pytest.raises(NotAllowed):
        area_goals.add_goal(
            kernel, actor(kernel, "secretary2"), area_id, {"title": "走访全部低保户", "target_count": 2}
        )
    goal = area_goals.add_goal(
        kernel,
        actor(kernel, "secretary1"),
        area_id,
        {"title": "走访全部低保户", "domain": "hardship_relief", "target_count": 2, "due_on": "2026-12-31"},
    )
    other = area_goals.add_goal(
        kernel, actor(kernel, "secretary1"), area_id, {"title": "调解邻里纠纷", "target_count": 4}
    )
    record = {
        "kind": "service",
        "domain": "hardship_relief",
        "happened_on": kernel.clock.now().astimezone(CHINA_TZ).date().isoformat(),
        "what": "为困难户代办低保续期手续",
        "goal_id": goal,
    }
    areas.record_work(kernel, actor(kernel, "member4"), record)
    with pytest.raises(FormInvalid) as refused:
        areas.record_work(kernel, actor(kernel, "member4"), {**record, "goal_id": goal + 100})
    assert "goal_id" in refused.value.errors
    areas.record_work(kernel, actor(kernel, "member1"), {**record, "what": "走访低保户了解生活困难"})
    areas.record_work(
        kernel, actor(kernel, "member1"), {**record, "goal_id": other, "what": "调解两户宅基地纠纷"}
    )
    detail = areas.area_detail(kernel, actor(kernel, "secretary1"), area_id)
    assert [(g["title"], g["done"], g["target"], g["percent"]) for g in detail["goals"]] == [
        ("走访全部低保户", 2, 2, 100),
        ("调解邻里纠纷", 1, 4, 25),
    ]
    assert {r["goal"] for r in detail["records"]} == {"走访全部低保户", "调解邻里纠纷"}
    review = ReviewWalk(kernel).begin(area_id)
    review.hear_and_survey()
    review.grade(GOOD, GOOD)
    (archived,) = disclosures(kernel)
    assert archived.work["records"] == 3 and archived.work["service"] == 3
    assert [(g["title"], g["done"], g["target"]) for g in archived.work["goals"]] == [
        ("走访全部低保户", 2, 2),
        ("调解邻里纠纷", 1, 4),
    ]
    assert "走访全部低保户 2/2" in _notice(kernel).body
    assert audit.verify(kernel).ok
