"""The member roster from Excel (SQLite and PostgreSQL): export → edit → import works; a preview
says row by row what will be created, changed or refused and why, in Chinese; a roster with a bad
row stores nothing; the same file imported again changes nothing and records nothing; the import
is one chained event naming the file's sha256 and the counts."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from admin_support import (
    account,
    admin,
    asked_to_co_sign,
    assert_verifies,
    member_by_code,
    org_events,
    read_roster,
    roster,
    write_roster,
)
from support import CreationWalk, actor, table_contents

from xianfeng.engine.errors import NotAllowed
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services.admin import roster as roster_service
from xianfeng.engine.services.admin.common import today
from xianfeng.engine.services.admin.roster import RosterRefused
from xianfeng.engine.services.admin.roster_export import export_xlsx

NEW = {"党员编号": "ZA-M40", "姓名": "包红梅", "性别": "女", "出生年份": 1988, "入党日期": "2012-07-01"}
NEW |= {"联系电话": "13904751234", "所在党支部": "红星嘎查党支部", "所在嘎查村": "胜利嘎查", "政治素质": "强"}


def _exported(kernel: Kernel) -> list[dict[str, object]]:
    return read_roster(export_xlsx(kernel, admin(kernel)))


def test_the_exported_roster_imports_again_without_a_change_or_an_event(backend: Kernel) -> None:
    content = export_xlsx(backend, admin(backend))
    rows = read_roster(content)
    assert len(rows) == 33 and rows[0]["所在党支部"] == "治安村党支部" and rows[0]["状态"] == "在册"
    plan = roster_service.preview(backend, admin(backend), content, "花名册.xlsx")
    assert plan.ok and plan.counts == {"create": 0, "change": 0, "same": 33, "refuse": 0}
    before = table_contents(backend)
    roster_service.import_roster(backend, admin(backend), content, "花名册.xlsx")
    assert table_contents(backend) == before  # no row, no event


def test_an_edited_export_creates_and_changes_members_in_one_event(backend: Kernel) -> None:
    rows = _exported(backend)
    rows[0]["联系电话"] = "13800000001"
    rows[1]["组织能力"] = "强" if rows[1]["组织能力"] != "强" else "较弱"
    rows.append(NEW)
    content = write_roster(rows)
    plan = roster_service.preview(backend, admin(backend), content, "2026年花名册.xlsx")
    assert plan.counts == {"create": 1, "change": 2, "same": 31, "refuse": 0}
    changed = {
        r.code: [(c.label, c.old, c.new) for c in r.changes] for r in plan.rows if r.action == "change"
    }
    assert changed["ZA-M-S1"] == [("联系电话", "", "13800000001")]
    assert [c[0] for c in changed[str(rows[1]["党员编号"])]] == ["组织能力"]
    (created,) = [r for r in plan.rows if r.action == "create"]
    assert created.row == 35 and ("所在嘎查村", "", "胜利嘎查") in [
        (c.label, c.old, c.new) for c in created.changes
    ]

    roster_service.import_roster(
        backend, admin(backend), content, "2026年花名册.xlsx", plan.digest, "年度核对"
    )

    new = member_by_code(backend, "ZA-M40")
    assert (new.name, new.branch_id, new.village_id, new.gender, new.birth_year) == (
        "包红梅",
        2,
        4,
        "女",
        1988,
    )
    assert (new.joined_party_on, new.phone, new.political_quality, new.work_ability) == (
        dt.date(2012, 7, 1),
        "13904751234",
        "strong",
        "adequate",
    )
    assert member_by_code(backend, "ZA-M-S1").phone == "13800000001"
    (event,) = org_events(backend, "roster")
    assert event["payload"] == {
        "action": "import",
        "file": "2026年花名册.xlsx",
        "sha256": hashlib.sha256(content).hexdigest(),
        "rows": 34,
        "created": 1,
        "changed": 2,
        "unchanged": 31,
        "reason": "年度核对",
    }
    assert [c["table"] for c in event["changes"]].count("member") == 3
    again = roster_service.preview(backend, admin(backend), write_roster(_exported(backend)), "again.xlsx")
    assert again.counts["create"] + again.counts["change"] == 0
    assert_verifies(backend, replay=False)


BAD_ROWS = [
    ({"所在党支部": ""}, "所在党支部为空"),
    ({"所在党支部": "东方红党支部"}, "找不到党支部“东方红党支部”"),
    ({"所在嘎查村": "治安村"}, "嘎查村“治安村”不属于红星嘎查党支部"),
    ({"入党日期": "2012-13-45"}, "入党日期“2012-13-45”不是有效日期"),
    ({"政治素质": "优"}, "政治素质“优”应为强、一般或较弱"),
    ({"出生年份": "八八年"}, "出生年份“八八年”不是四位数年份"),
    ({"状态": "退休"}, "状态“退休”应为在册、已转出或已离开"),
    ({"姓名": None}, "姓名为空"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ROWS, ids=[r for _b, r in BAD_ROWS])
def test_a_bad_row_is_refused_with_its_reason_and_nothing_is_stored(
    kernel: Kernel, bad: dict[str, object], reason: str
) -> None:
    rows = [*_exported(kernel), {**NEW, **bad}]
    content = write_roster(rows)
    plan = roster_service.preview(kernel, admin(kernel), content, "bad.xlsx")
    assert not plan.ok and plan.counts["refuse"] == 1
    (refused,) = [r for r in plan.rows if r.action == "refuse"]
    assert refused.row == 35 and any(reason in p.zh for p in refused.problems), refused.problems
    before = table_contents(kernel)
    with pytest.raises(RosterRefused) as error:
        roster_service.import_roster(kernel, admin(kernel), content, "bad.xlsx")
    assert error.value.params["rows"][0]["row"] == 35
    assert table_contents(kernel) == before


def test_a_repeated_code_refuses_the_later_row_naming_the_first(kernel: Kernel) -> None:
    plan = roster_service.preview(kernel, admin(kernel), roster([NEW, {**NEW, "姓名": "包红"}]), "dup.xlsx")
    assert [(r.row, r.action) for r in plan.rows] == [(2, "create"), (3, "refuse")]
    assert plan.rows[1].problems[0].zh == "党员编号 ZA-M40 与第 2 行重复"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"not a workbook", "不是有效的 Excel 工作簿"),
        (roster([NEW], ("姓名", "所在党支部")), "缺少必填列：党员编号"),
        (roster([]), "没有任何党员行"),
    ],
)
def test_a_file_that_is_no_roster_is_refused_as_a_whole(kernel: Kernel, content: bytes, problem: str) -> None:
    plan = roster_service.preview(kernel, admin(kernel), content, "x.xlsx")
    assert not plan.ok and plan.rows == [] and problem in plan.file_problems[0].zh
    before = table_contents(kernel)
    with pytest.raises(RosterRefused):
        roster_service.import_roster(kernel, admin(kernel), content, "x.xlsx")
    assert table_contents(kernel) == before


def test_headers_in_english_any_order_and_unknown_columns_are_read(kernel: Kernel) -> None:
    content = roster(
        [{"Name": "包红梅", "Member code": "ZA-M40", "Branch": "ZA-B2", "籍贯": "内蒙古"}],
        ("Name", "Member code", "Branch", "籍贯"),
    )
    plan = roster_service.preview(kernel, admin(kernel), content, "en.xlsx")
    assert plan.ok and plan.ignored == ["籍贯"] and plan.rows[0].action == "create"


def test_a_confirmation_made_on_an_older_preview_is_refused(kernel: Kernel) -> None:
    content = roster([NEW])
    plan = roster_service.preview(kernel, admin(kernel), content, "new.xlsx")
    roster_service.import_roster(kernel, admin(kernel), roster([{**NEW, "姓名": "包红"}]), "other.xlsx")
    before = table_contents(kernel)
    with pytest.raises(RosterRefused, match="changed since the preview"):
        roster_service.import_roster(kernel, admin(kernel), content, "new.xlsx", plan.digest)
    assert table_contents(kernel) == before


def test_a_row_moving_a_member_is_checked_like_a_move(backend: Kernel) -> None:
    # member2 is asked to co-sign (handed over on a move: the row is refused until the member's page
    # does it); member5's and member6's own evaluations are not handed over and hold nothing up.
    asked_to_co_sign(backend, "member2", candidate="member7", evaluators=("member3", "member4", "member8"))
    CreationWalk(backend, candidate="member1", evaluators=("member5", "member6", "member4")).start()
    rows = {str(r["党员编号"]): r for r in _exported(backend)}
    moved_free = {**rows["ZA-M05"], "所在党支部": "红星嘎查党支部", "所在嘎查村": "红星嘎查"}
    moved_busy = {**rows["ZA-M02"], "所在党支部": "红星嘎查党支部", "所在嘎查村": None}
    left = {**rows["ZA-M06"], "状态": "已离开", "状态日期": "2026-11-20"}
    plan = roster_service.preview(
        backend, admin(backend), roster([moved_free, moved_busy, left]), "moves.xlsx"
    )
    actions = {r.code: r for r in plan.rows}
    assert actions["ZA-M05"].action == "change"
    assert [n.zh for n in actions["ZA-M05"].notes] == ["账号 member5 的所属支部随之变更"]
    assert actions["ZA-M02"].action == "refuse" and "请在党员页面办理" in actions["ZA-M02"].problems[0].zh
    assert [n.zh for n in actions["ZA-M06"].notes] == ["账号 member6 将被停用"]

    roster_service.import_roster(backend, admin(backend), roster([moved_free, left]), "moves.xlsx")
    assert (account(backend, "member5").branch_id, member_by_code(backend, "ZA-M05").branch_id) == (2, 2)
    assert member_by_code(backend, "ZA-M05").status_since == today(backend)  # the town's day
    assert not account(backend, "member6").active
    assert member_by_code(backend, "ZA-M06").status_since == dt.date(2026, 11, 20)
    assert_verifies(backend)


def test_the_committee_previews_and_exports_but_only_an_administrator_imports(kernel: Kernel) -> None:
    content = roster([NEW])
    assert roster_service.preview(kernel, actor(kernel, "committee"), content, "x.xlsx").ok
    assert export_xlsx(kernel, actor(kernel, "auditor"))[:2] == b"PK"
    with pytest.raises(NotAllowed):
        roster_service.import_roster(kernel, actor(kernel, "committee"), content, "x.xlsx")
    with pytest.raises(NotAllowed):
        export_xlsx(kernel, actor(kernel, "secretary1"))
