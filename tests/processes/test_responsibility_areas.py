"""Responsibility areas (R8): division with its rules, each member's own duties, every member placed,
a return kept for revision, and reassignment. The rules are the decision tables', so a changed
table changes what is allowed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from area_support import (
    VILLAGE_1,
    VILLAGE_2,
    DivisionWalk,
    areas_with,
    divide,
    draft,
    names,
    unplaced_usernames,
)
from support import actor, member_id_of, table_contents

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import FormInvalid, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import AreaExemption, AreaMember, Member
from xianfeng.engine.process import catalog
from xianfeng.engine.services import area_disclosures, areas, audit, setup, tasks, timers


def test_an_approved_division_activates_the_areas_with_members_lead_and_each_members_own_duties(
    kernel: Kernel,
) -> None:
    assert divide(kernel).decide("approve").outcome == "active"
    listed = areas.list_areas(kernel, actor(kernel, "secretary1"))
    assert [(a["village"], a["name"]) for a in listed] == [
        ("治安村", "治安村一组"),
        ("东风村", "东风村牧业组"),
    ]
    team = listed[1]["members"]
    member1, member4 = names(kernel, "member1", "member4")
    assert [(m["name"], m["lead"]) for m in team] == [(member1, False), (member4, True)]
    assert [m["scope"] for m in team] == [
        "东风村牧业组：member1 联系的农牧户",
        "东风村牧业组：member4 联系的农牧户",
    ]
    assert [m["tasks"] for m in team] == ["member1 负责政策宣讲、矛盾调解", "member4 负责政策宣讲、矛盾调解"]
    assert areas.list_areas(kernel, actor(kernel, "secretary2")) == []
    assert audit.verify(kernel).ok


def test_a_division_leaving_a_village_uncovered_goes_back_to_drafting_naming_the_village(
    kernel: Kernel,
) -> None:
    walk = DivisionWalk(kernel).begin()
    walk.add_area(VILLAGE_1, "治安村一组", ["member3"], "member3", False)
    assert walk.task_of("secretary1", "Task_add_area")
    assert walk.data()["division_gap"].startswith("东风村 尚未划分责任区")
    walk.add_area(VILLAGE_2, "东风村一组", ["member4"], "member4", False)
    assert walk.task_of("secretary1", "Task_place_members")


@pytest.mark.parametrize(
    ("members", "lead", "message"),
    [
        (["member1"], "member1", "较弱，不宜单独负责责任区"),
        (["member1", "member3"], "member1", "较弱，不宜担任牵头党员"),
        (["member3", "member4"], "member7", "lead member must be one of the area's members"),
    ],
)
def test_r8_qualification_rules_refuse_a_team_and_keep_nothing(
    kernel: Kernel, members: list[str], lead: str, message: str
) -> None:
    walk = DivisionWalk(kernel).begin()
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match=message):
        walk.complete(
            "secretary1", draft(kernel, VILLAGE_1, "治安村一组", members, lead, True), "Task_add_area"
        )
    assert table_contents(kernel) == before


def test_a_member_takes_one_area(kernel: Kernel) -> None:
    walk = DivisionWalk(kernel).begin()
    walk.add_area(VILLAGE_1, "治安村一组", ["member3"], "member3", True)
    with pytest.raises(RuleViolation, match=r"（治安村一组） 已负责其他责任区；一名党员负责一个责任区"):
        walk.complete(
            "secretary1",
            draft(kernel, VILLAGE_2, "东风村一组", ["member3", "member4"], "member4", False),
            "Task_add_area",
        )


def _tables_with(name: str, replace: dict[str, str]) -> dict[str, bytes]:
    files = catalog.builtin_files()
    text = files[name].decode()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return {**files, name: text.encode()}


def test_who_may_lead_is_the_decision_tables_and_an_administrator_can_change_it(kernel: Kernel) -> None:
    # A weak organising ability no longer keeps a member from leading an area with others.
    changed = _tables_with(
        "area_member_qualification.dmn",
        {
            '<outputEntry id="Output_organising_weak_may_lead"><text>False</text>': (
                '<outputEntry id="Output_organising_weak_may_lead"><text>True</text>'
            )
        },
    )
    setup.deploy(kernel, changed, "admin", "组织能力较弱者可与他人共同负责时牵头")
    with kernel.db.unit_of_work(write=False) as uow:
        weak = uow.session.get(Member, member_id_of(kernel, "member1"))
        assert weak is not None
        abilities = (weak.political_quality, weak.work_ability, weak.organising_ability)
    assert abilities == ("adequate", "adequate", "weak")
    walk = DivisionWalk(kernel).begin()
    walk.add_area(VILLAGE_1, "治安村一组", ["member1", "member3"], "member1", False)
    assert walk.task_of("secretary1", "Task_add_area")  # accepted; 东风村 still needs an area


def test_every_active_member_has_an_area_or_is_exempted_with_a_reason(kernel: Kernel) -> None:
    walk = DivisionWalk(kernel).begin()
    walk.add_area(VILLAGE_1, "治安村一组", ["member3"], "member3", True)
    walk.add_area(VILLAGE_2, "东风村牧业组", ["member1", "member4"], "member4", False)
    gap = walk.data()["division_gap"]
    assert (
        "尚未落实责任区" in gap
        and names(kernel, "member2")[0] in gap
        and names(kernel, "member3")[0] not in gap
    )
    others = unplaced_usernames(["member1", "member3", "member4"])
    with pytest.raises(FormInvalid) as refused:
        walk.complete(
            "secretary1",
            {"exempt_member_ids": [member_id_of(kernel, u) for u in others], "add_area": False},
            "Task_place_members",
        )
    assert "exemption_reason" in refused.value.errors
    walk.place(others[:-1], "长期外出务工")
    assert walk.data()["division_gap"].startswith(names(kernel, others[-1])[0])  # still one without a place
    walk.place([others[-1]], "年老体弱")
    walk.consult()
    walk.decide("approve")
    listed = area_disclosures.exemptions(kernel, actor(kernel, "secretary1"))
    assert sorted(row["member"] for row in listed) == sorted(names(kernel, *others))
    assert {row["reason"] for row in listed} == {"长期外出务工", "年老体弱"}
    assert audit.verify(kernel).ok


def test_a_returned_division_keeps_its_drafts_for_revision(kernel: Kernel) -> None:
    walk = divide(kernel)
    walk.decide("return")
    assert [a.name for a in areas_with(kernel, "draft")] == ["治安村一组", "东风村牧业组"]
    assert walk.data()["approval"]["return_reasons"] == "岗位职责不够具体，请补充"
    walk.complete(
        "secretary1",
        {"redraw_village_ids": [VILLAGE_2], "add_area": False, "changes": "东风村按牧业组重新划分"},
        "Task_revise_division",
    )
    assert [a.name for a in areas_with(kernel, "draft")] == ["治安村一组"]
    walk.add_area(VILLAGE_2, "东风村牧业一组", ["member1", "member4"], "member4", False)
    walk.consult()
    assert walk.decide("approve").outcome == "active"
    assert [a.name for a in areas_with(kernel)] == ["治安村一组", "东风村牧业一组"]
    with kernel.db.unit_of_work(write=False) as uow:
        statuses = set(uow.session.execute(sa.select(AreaExemption.status)).scalars())
    assert statuses == {"active"}
    assert audit.verify(kernel).ok


def test_a_rejected_division_is_discarded_with_its_exemptions(kernel: Kernel) -> None:
    assert divide(kernel).decide("reject").outcome == "discarded"
    assert areas_with(kernel) == [] and len(areas_with(kernel, "discarded")) == 2
    with kernel.db.unit_of_work(write=False) as uow:
        assert set(uow.session.execute(sa.select(AreaExemption.status)).scalars()) == {"discarded"}


def _reassign(kernel: Kernel, data: dict[str, Any]) -> Any:
    return tasks.start(kernel, actor(kernel, "secretary1"), "responsibility_area_reassignment", data)


def test_reassignment_keeps_every_area_staffed_and_led_by_the_same_rules(kernel: Kernel) -> None:
    divide(kernel).decide("approve")
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match="将无人负责，请指定接替党员"):
        _reassign(kernel, {"member_id": member_id_of(kernel, "member3"), "reason": "moved"})
    with pytest.raises(RuleViolation, match="较弱，不宜单独负责责任区"):
        _reassign(
            kernel,
            {
                "member_id": member_id_of(kernel, "member3"),
                "reason": "moved",
                "replacement_member_id": member_id_of(kernel, "member2"),
            },
        )
    member1 = names(kernel, "member1")[0]
    with pytest.raises(RuleViolation, match=f"{member1} 的组织能力较弱，不宜单独负责责任区"):
        _reassign(kernel, {"member_id": member_id_of(kernel, "member4"), "reason": "left"})
    with pytest.raises(RuleViolation, match="已负责其他责任区"):
        _reassign(
            kernel,
            {
                "member_id": member_id_of(kernel, "member4"),
                "reason": "left",
                "replacement_member_id": member_id_of(kernel, "member3"),
            },
        )
    assert table_contents(kernel) == before
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
        a["name"]: [(m["name"], m["lead"], m["scope"]) for m in a["members"]]
        for a in areas.list_areas(kernel, actor(kernel, "secretary1"))
    }
    member7, member8 = names(kernel, "member7", "member8")
    assert teams == {
        "治安村一组": [(member7, True, "治安村一组：member3 联系的农牧户")],
        "东风村牧业组": [
            (member1, False, "东风村牧业组：member1 联系的农牧户"),
            (member8, True, "东风村牧业组：member4 联系的农牧户"),
        ],
    }
    with kernel.db.unit_of_work(write=False) as uow:
        moved = uow.session.get(Member, member_id_of(kernel, "member3"))
        assert moved is not None and moved.status == "moved"
        places = (
            uow.session.execute(sa.select(AreaMember).where(AreaMember.left_at.is_not(None))).scalars().all()
        )
        assert len(places) == 2
    assert audit.verify(kernel).ok


def test_the_scheduler_reviews_every_active_area_each_quarter(kernel: Kernel) -> None:
    divide(kernel).decide("approve")
    kernel.clock.set(dt.datetime(2027, 1, 1, 9, 0, 30, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    started = timers.tick(kernel).started
    assert sorted(key for key, _ in started) == ["responsibility_area_review"] * 2
    assert timers.tick(kernel).started == []
