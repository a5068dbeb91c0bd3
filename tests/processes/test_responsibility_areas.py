"""Responsibility areas (R8–R11): division with its checks, work records, review and disclosure,
reassignment, and the schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from support import SATISFIED, CreationWalk, actor, member_id_of, table_contents

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import FormInvalid, NotAllowed, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Criticism, Member, PublicNotice, ResponsibilityArea, Reward
from xianfeng.engine.services import areas, audit, instances, ledger, tasks, timers

# In the demo data, member3, member4, member7 and member8 of the first branch are capable on their
# own; member1, member2, member5 and member6 have an ability recorded as weak (R8).
VILLAGE_1, VILLAGE_2 = 1, 2


def _area(
    kernel: Kernel, village: int, name: str, members: list[str], lead: str, more: bool
) -> dict[str, Any]:
    return {
        "village_id": village,
        "name": name,
        "member_ids": [member_id_of(kernel, m) for m in members],
        "lead_member_id": member_id_of(kernel, lead),
        "scope": f"{name}所辖农牧户",
        "tasks": "政策宣讲、矛盾调解、帮扶困难群众",
        "more": more,
    }


def _divide(kernel: Kernel) -> CreationWalk:
    walk = CreationWalk(kernel)
    walk.instance_id = tasks.start(
        kernel, actor(kernel, "secretary1"), "responsibility_area_division"
    ).instance_id
    walk.complete(
        "secretary1", _area(kernel, VILLAGE_1, "治安村一组", ["member3"], "member3", True), "Task_add_area"
    )
    walk.complete(
        "secretary1",
        _area(kernel, VILLAGE_2, "东风村牧业组", ["member1", "member4"], "member4", False),
        "Task_add_area",
    )
    walk.complete(
        "secretary1",
        {"members_opinions": "党员一致同意划分方案。", "public_opinions": "群众希望责任党员常入户。"},
        "Task_area_consultation",
    )
    return walk


def _areas(kernel: Kernel, status: str = "active") -> list[ResponsibilityArea]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(
                sa.select(ResponsibilityArea)
                .where(ResponsibilityArea.status == status)
                .order_by(ResponsibilityArea.id)
            ).scalars()
        )


def test_an_approved_division_activates_the_areas_with_members_and_lead(kernel: Kernel) -> None:
    walk = _divide(kernel)
    assert walk.decide("approve").outcome == "active"
    listed = areas.list_areas(kernel, actor(kernel, "secretary1"))
    assert [(a["village"], a["name"]) for a in listed] == [
        ("治安村", "治安村一组"),
        ("东风村", "东风村牧业组"),
    ]
    team = listed[1]["members"]
    assert [(m["name"], m["lead"]) for m in team] == [
        (n, lead) for n, lead in ((_name(kernel, "member1"), False), (_name(kernel, "member4"), True))
    ]
    assert areas.list_areas(kernel, actor(kernel, "secretary2")) == []
    assert audit.verify(kernel).ok


def _name(kernel: Kernel, username: str) -> str:
    with kernel.db.unit_of_work(write=False) as uow:
        member = uow.session.get(Member, member_id_of(kernel, username))
        assert member is not None
        return member.name


def test_a_division_leaving_a_village_uncovered_is_refused_and_nothing_is_stored(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.instance_id = tasks.start(
        kernel, actor(kernel, "secretary1"), "responsibility_area_division"
    ).instance_id
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match="东风村 尚未划分责任区"):
        walk.complete(
            "secretary1",
            _area(kernel, VILLAGE_1, "治安村一组", ["member3"], "member3", False),
            "Task_add_area",
        )
    assert table_contents(kernel) == before


@pytest.mark.parametrize(
    ("members", "lead", "message"),
    [
        (["member1"], "member1", "不宜单独负责责任区"),
        (["member1", "member3"], "member1", "不宜担任牵头党员"),
        (["member3", "member4"], "member7", "lead member must be one of the area's members"),
    ],
)
def test_r8_qualification_rules_refuse_a_draft(
    kernel: Kernel, members: list[str], lead: str, message: str
) -> None:
    walk = CreationWalk(kernel)
    walk.instance_id = tasks.start(
        kernel, actor(kernel, "secretary1"), "responsibility_area_division"
    ).instance_id
    with pytest.raises(RuleViolation, match=message):
        walk.complete(
            "secretary1", _area(kernel, VILLAGE_1, "治安村一组", members, lead, True), "Task_add_area"
        )


def test_a_member_takes_one_area(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.instance_id = tasks.start(
        kernel, actor(kernel, "secretary1"), "responsibility_area_division"
    ).instance_id
    walk.complete(
        "secretary1", _area(kernel, VILLAGE_1, "治安村一组", ["member3"], "member3", True), "Task_add_area"
    )
    with pytest.raises(RuleViolation, match="一名党员负责一个责任区"):
        walk.complete(
            "secretary1",
            _area(kernel, VILLAGE_2, "东风村一组", ["member3", "member4"], "member4", False),
            "Task_add_area",
        )


def test_a_returned_division_is_discarded(kernel: Kernel) -> None:
    walk = _divide(kernel)
    assert walk.decide("return").outcome == "discarded"
    assert _areas(kernel) == [] and len(_areas(kernel, "discarded")) == 2


def test_members_record_work_and_the_branch_comments(kernel: Kernel) -> None:
    _divide(kernel).decide("approve")
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
    area_id = _areas(kernel)[1].id
    (row,) = areas.work_records(kernel, actor(kernel, "secretary1"), area_id)
    assert (row["domain"], [c["text"] for c in row["comments"]]) == ("hardship_relief", ["工作扎实，继续保持。"])


def test_a_review_rewards_the_strong_criticises_the_weak_and_publishes(kernel: Kernel) -> None:
    _divide(kernel).decide("approve")
    area = _areas(kernel)[1]
    review = CreationWalk(kernel)
    review.instance_id = tasks.start(
        kernel, actor(kernel, "secretary1"), "responsibility_area_review", {"area_id": area.id}
    ).instance_id
    review.complete(
        "secretary1", {"consulted_count": 12, "opinions": "群众认可牵头党员的工作。"}, "Task_area_opinions"
    )
    tokens = [
        link["token"] for link in instances.links(kernel, actor(kernel, "secretary1"), review.instance_id)
    ]
    for token in tokens[:10]:
        tasks.complete_by_token(kernel, token, dict(SATISFIED))
    review.pass_notice()  # the survey closes
    grades = iter(
        [
            {"grade": "weak", "comment": "入户走访次数少，群众反映较少见到。"},
            {
                "grade": "excellent",
                "reward_spiritual": "通报表扬",
                "reward_material": "慰问品",
                "reward_amount": 200,
            },
        ]
    )
    for _ in range(2):
        review.complete("secretary1", next(grades), "Task_grade_member")
    with kernel.db.unit_of_work(write=False) as uow:
        notice = uow.session.execute(sa.select(PublicNotice)).scalar_one()
    assert (
        notice.title == "党员责任区履职情况公开：东风村牧业组"
        and "较差" in notice.body
        and "优秀" in notice.body
    )
    review.pass_notice()  # the notice period ends
    outcome = review.complete(
        "secretary1", {"follow_up": "支部书记谈心谈话，明确每周入户两次。"}, "Task_criticism_follow_up"
    )
    assert outcome.outcome == "reviewed"
    with kernel.db.unit_of_work(write=False) as uow:
        (criticism,) = uow.session.execute(sa.select(Criticism)).scalars()
        (reward,) = uow.session.execute(sa.select(Reward)).scalars()
    assert criticism.member_id == member_id_of(kernel, "member1") and criticism.follow_up.startswith(
        "支部书记"
    )
    assert reward.member_id == member_id_of(kernel, "member4") and reward.area_id == area.id
    year = kernel.clock.now().astimezone(CHINA_TZ).year
    (entry,) = ledger.ledger(kernel, actor(kernel, "committee"), year)
    assert entry.member_id == member_id_of(kernel, "member4") and entry.eligible
    assert audit.verify(kernel).ok


def _reassign(kernel: Kernel, data: dict[str, Any]) -> Any:
    return tasks.start(kernel, actor(kernel, "secretary1"), "responsibility_area_reassignment", data)


def test_reassignment_keeps_every_area_staffed_and_led(kernel: Kernel) -> None:
    _divide(kernel).decide("approve")
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match="将无人负责，请指定接替党员"):
        _reassign(kernel, {"member_id": member_id_of(kernel, "member3"), "reason": "moved"})
    assert table_contents(kernel) == before
    with pytest.raises(RuleViolation, match="失去牵头党员且无合适人选"):
        _reassign(kernel, {"member_id": member_id_of(kernel, "member4"), "reason": "left"})
    _reassign(
        kernel,
        {
            "member_id": member_id_of(kernel, "member3"),
            "reason": "moved",
            "replacement_member_id": member_id_of(kernel, "member7"),
        },
    )
    _reassign(
        kernel,
        {
            "member_id": member_id_of(kernel, "member4"),
            "reason": "left",
            "replacement_member_id": member_id_of(kernel, "member8"),
        },
    )
    teams = {
        a["name"]: [(m["name"], m["lead"]) for m in a["members"]]
        for a in areas.list_areas(kernel, actor(kernel, "secretary1"))
    }
    assert teams == {
        "治安村一组": [(_name(kernel, "member7"), True)],
        "东风村牧业组": [(_name(kernel, "member1"), False), (_name(kernel, "member8"), True)],
    }
    with kernel.db.unit_of_work(write=False) as uow:
        moved = uow.session.get(Member, member_id_of(kernel, "member3"))
        assert moved is not None and moved.status == "moved"


def test_the_scheduler_reviews_every_active_area_each_quarter(kernel: Kernel) -> None:
    _divide(kernel).decide("approve")
    kernel.clock.set(dt.datetime(2027, 1, 1, 9, 0, 30, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    started = timers.tick(kernel).started
    assert sorted(key for key, _ in started) == ["responsibility_area_review"] * 2
    assert timers.tick(kernel).started == []
