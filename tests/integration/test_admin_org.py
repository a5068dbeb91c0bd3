"""The organisation and its members as administrators keep them (SQLite and PostgreSQL): branches
and villages created and renamed, members added and corrected with a reason, holidays recorded;
every change a chained event, every refusal storing nothing, the committee and auditors reading."""

from __future__ import annotations

import datetime as dt

import pytest
from admin_support import admin, assert_verifies, member_by_code, org_events
from support import actor, table_contents

from xianfeng.engine.errors import FormInvalid, NotAllowed, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services.admin import holidays, org, people
from xianfeng.engine.services.admin.member_fields import MemberDraft


def test_a_branch_and_its_village_are_created_renamed_and_recorded(backend: Kernel) -> None:
    branch = org.save_branch(backend, admin(backend), None, "ZA-B4", "团结村党支部")
    village = org.save_village(backend, admin(backend), None, branch, "ZA-V7", "团结村")
    org.save_branch(backend, admin(backend), branch, "ZA-B4", "团结村第一党支部")
    org.save_branch(backend, admin(backend), branch, "ZA-B4", "团结村第一党支部")  # unchanged: no event
    view = org.organisation(backend, actor(backend, "committee"))
    (made,) = [b for b in view.branches if b.id == branch]
    assert (made.name, [v.name for v in made.villages]) == ("团结村第一党支部", ["团结村"])
    assert not view.may_manage and org.organisation(backend, admin(backend)).may_manage
    actions = [e["payload"]["action"] for e in org_events(backend, "org")][-3:]
    assert actions == ["branch_created", "village_created", "branch_changed"]
    assert village > 0
    assert_verifies(backend, replay=False)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda k: org.save_branch(k, admin(k), None, "ZA-B1", "新支部"), "already has the code"),
        (lambda k: org.save_branch(k, admin(k), None, "ZA-B9", "治安村党支部"), "already has the name"),
        (lambda k: org.save_branch(k, admin(k), None, "坏 代码", "新支部"), "may hold only"),
        (lambda k: org.save_village(k, admin(k), None, 1, "ZA-V9", ""), "name is required"),
        (lambda k: org.save_village(k, admin(k), 1, 2, "ZA-V1", "治安村"), "cannot move to another branch"),
    ],
)
def test_an_organisation_change_that_breaks_a_rule_stores_nothing(
    backend: Kernel, call: object, message: str
) -> None:
    before = table_contents(backend)
    with pytest.raises(RuleViolation, match=message):
        call(backend)  # type: ignore[operator]
    assert table_contents(backend) == before


def test_a_village_without_members_or_areas_moves_to_another_branch(kernel: Kernel) -> None:
    village = org.save_village(kernel, admin(kernel), None, 1, "ZA-V7", "团结村")
    org.save_village(kernel, admin(kernel), village, 2, "ZA-V7", "团结村")
    (branch,) = [b for b in org.organisation(kernel, admin(kernel)).branches if b.id == 2]
    assert "团结村" in [v.name for v in branch.villages]


def test_a_member_is_added_and_corrected_with_a_reason(backend: Kernel) -> None:
    draft = MemberDraft(code="ZA-M41", name="乌云", branch_id=2, village_id=3, gender="女", birth_year=1990)
    member_id = people.create_member(backend, admin(backend), draft)
    made = member_by_code(backend, "ZA-M41")
    assert (made.id, made.status, made.political_quality) == (member_id, "active", "adequate")
    fixed = MemberDraft(
        code="ZA-M41", name="乌云其其格", village_id=4, birth_year=1991, political_quality="strong"
    )
    changed = people.update_member(backend, admin(backend), member_id, fixed, "更正姓名和出生年份")
    assert changed == ["birth_year", "name", "political_quality", "village_id"]
    created, edited = org_events(backend, "member")
    assert created["payload"]["action"] == "created"
    assert edited["payload"]["changes"]["name"] == ["乌云", "乌云其其格"]
    assert edited["payload"]["reason"] == "更正姓名和出生年份"
    detail = people.member_detail(backend, actor(backend, "auditor"), member_id)
    assert detail.member.village == "胜利嘎查" and detail.account is None and not detail.may_manage
    assert_verifies(backend, replay=False)


@pytest.mark.parametrize(
    ("draft", "reason", "error", "field"),
    [
        (MemberDraft(code="ZA-M02", name="某某", village_id=1), "更正", FormInvalid, "code"),
        (MemberDraft(code="ZA-M01", name="某某", village_id=3), "更正", FormInvalid, "village_id"),
        (MemberDraft(code="ZA-M01", name="", village_id=1), "更正", FormInvalid, "name"),
        (MemberDraft(code="ZA-M01", name="某某", birth_year=1800), "更正", FormInvalid, "birth_year"),
        (
            MemberDraft(code="ZA-M01", name="某某", joined_party_on=dt.date(2030, 1, 1)),
            "更正",
            FormInvalid,
            "joined_party_on",
        ),
        (
            MemberDraft(code="ZA-M01", name="某某", political_quality="great"),
            "更正",
            FormInvalid,
            "political_quality",
        ),
        (MemberDraft(code="ZA-M01", name="某某"), "", RuleViolation, "reason"),
    ],
)
def test_a_member_correction_that_breaks_a_rule_stores_nothing(
    kernel: Kernel, draft: MemberDraft, reason: str, error: type[Exception], field: str
) -> None:
    member_id = member_by_code(kernel, "ZA-M01").id
    before = table_contents(kernel)
    with pytest.raises(error) as refused:
        people.update_member(kernel, admin(kernel), member_id, draft, reason)
    found = refused.value.errors_zh if isinstance(refused.value, FormInvalid) else refused.value.params
    assert field in found or found.get("field") == field
    assert table_contents(kernel) == before


def test_the_members_list_filters_by_branch_status_and_words(kernel: Kernel) -> None:
    listed = people.list_members(kernel, actor(kernel, "committee"), branch_id=2)
    assert len(listed.rows) == 11 and {r.branch for r in listed.rows} == {"红星嘎查党支部"}
    assert [r.code for r in people.list_members(kernel, admin(kernel), query="ZA-M0").rows][:2] == [
        "ZA-M01",
        "ZA-M02",
    ]
    assert people.list_members(kernel, admin(kernel), status="left").rows == []
    with pytest.raises(NotAllowed):
        people.list_members(kernel, actor(kernel, "member1"))
    with pytest.raises(NotAllowed):
        people.create_member(
            kernel, actor(kernel, "committee"), MemberDraft(code="X1", name="某", branch_id=1)
        )


def test_holidays_are_recorded_and_removed_and_a_pointless_day_is_refused_in_chinese(backend: Kernel) -> None:
    day = holidays.add(backend, admin(backend), dt.date(2031, 2, 3), "holiday", "春节")
    assert (day.kind, day.name, day.recorded_by) == ("holiday", "春节", "admin")
    assert [d.day for d in holidays.list_days(backend, actor(backend, "auditor"), 2031)] == [
        dt.date(2031, 2, 3)
    ]
    before = table_contents(backend)
    with pytest.raises(RuleViolation) as refused:
        holidays.add(backend, admin(backend), dt.date(2031, 2, 8), "holiday", "周六")  # a Saturday
    assert refused.value.params["zh"] == "2031-02-08 已是休息日，无需登记为节假日"
    with pytest.raises(RuleViolation) as packaged:
        holidays.add(backend, admin(backend), dt.date(2026, 10, 1), "holiday", "国庆节")
    assert packaged.value.params["zh"] == "2026-10-01 在 2026 年内置日历中已是休息日，无需登记为节假日"
    with pytest.raises(NotAllowed):
        holidays.add(backend, actor(backend, "committee"), dt.date(2031, 2, 4), "holiday", "春节")
    assert table_contents(backend) == before
    assert holidays.remove(backend, admin(backend), dt.date(2031, 2, 3))
    assert not holidays.remove(backend, admin(backend), dt.date(2031, 2, 3))
    assert [e["payload"].get("removed", False) for e in org_events(backend, "holiday")] == [False, True]
    assert_verifies(backend, replay=False)
