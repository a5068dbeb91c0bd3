"""组织机构, 党员 and 节假日 pages: an administrator builds the organisation, adds and corrects members
and moves one (previewed with what happens to their tasks and areas, then done); refusals are
shown in Chinese and store nothing; the committee reads."""

from __future__ import annotations

from collections.abc import Callable

from admin_support import (
    account,
    asked_to_co_sign,
    assert_verifies,
    member_by_code,
    signers_of,
    tasks_assigned,
)
from flask.testing import FlaskClient
from support import CreationWalk
from test_pages_support import nothing_stored, post, text
from walks_support import divide

from xianfeng.engine.kernel import Kernel

Login = Callable[[str], FlaskClient]


def test_an_administrator_adds_a_branch_and_a_village(kernel: Kernel, login: Login) -> None:
    admin = login("admin")
    response = post(admin, "/admin/org/branches", {"code": "ZA-B4", "name": "团结村党支部"}, "/admin/org")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/org#branch-")
    branch_id = int(response.headers["Location"].rsplit("-", 1)[1])
    post(
        admin,
        "/admin/org/villages",
        {"branch_id": branch_id, "code": "ZA-V7", "name": "团结村"},
        "/admin/org",
    )
    page = text(admin.get("/admin/org"))
    assert "团结村党支部" in page and "已保存嘎查村：团结村" in page
    with nothing_stored(kernel):
        refused = post(admin, "/admin/org/branches", {"code": "ZA-B1", "name": "又一个支部"}, "/admin/org")
    assert refused.status_code == 422 and "已有党支部使用代码“ZA-B1”" in text(refused)
    assert_verifies(kernel, replay=False)


def test_the_committee_reads_the_organisation_and_members_without_forms(kernel: Kernel, login: Login) -> None:
    committee = login("committee")
    org = text(committee.get("/admin/org"))
    assert "治安村党支部" in org and "新增党支部" not in org and 'class="tabs admin-tabs"' in org
    members = text(committee.get("/admin/members?branch=2"))
    assert "红星嘎查党支部" in members and "新增党员" not in members and "治安村党支部</td>" not in members
    assert login("secretary1").get("/admin/org").status_code == 403
    with nothing_stored(kernel):
        assert (
            post(committee, "/admin/org/town", {"code": "ZA", "name": "改名镇"}, "/admin/org").status_code
            == 403
        )


def test_an_administrator_adds_a_member_and_corrects_them_with_a_reason(kernel: Kernel, login: Login) -> None:
    admin = login("admin")
    form = {"code": "ZA-M41", "name": "乌云", "place": "2:3", "gender": "女", "birth_year": "1990"}
    form |= {"political_quality": "strong", "work_ability": "adequate", "organising_ability": "weak"}
    response = post(admin, "/admin/members/new", form, "/admin/members/new")
    assert response.status_code == 302
    member = member_by_code(kernel, "ZA-M41")
    assert (member.branch_id, member.village_id, member.organising_ability) == (2, 3, "weak")
    edit = {**form, "village_id": "4", "name": "乌云其其格"}
    with nothing_stored(kernel):
        refused = post(admin, f"/admin/members/{member.id}", edit, f"/admin/members/{member.id}")
    assert refused.status_code == 422 and "修改党员信息须填写原因" in text(refused)
    with nothing_stored(kernel):
        wrong = post(admin, "/admin/members/new", {**form, "birth_year": "九零"}, "/admin/members/new")
    assert wrong.status_code == 422 and "出生年份应为四位数年份" in text(wrong)
    done = post(
        admin, f"/admin/members/{member.id}", {**edit, "reason": "更正姓名"}, f"/admin/members/{member.id}"
    )
    assert done.status_code == 302
    assert member_by_code(kernel, "ZA-M41").name == "乌云其其格"
    assert "已保存（2 项修改）" in text(admin.get(f"/admin/members/{member.id}"))


def test_a_move_is_previewed_with_the_tasks_handed_over_and_then_done(kernel: Kernel, login: Login) -> None:
    signed = asked_to_co_sign(
        kernel, "member2", candidate="member5", evaluators=("member3", "member4", "member7")
    )
    walk = CreationWalk(kernel, candidate="member1", evaluators=("member2", "member3", "member4"))
    walk.start()
    member2 = account(kernel, "member2").member_id
    admin = login("admin")
    preview_path = f"/admin/members/{member2}/move?kind=move&place=2:3&on=2026-11-24"
    with nothing_stored(kernel):
        preview = text(admin.get(preview_path))
    assert "从 治安村党支部 转入 红星嘎查党支部" in preview and "红星嘎查" in preview
    assert "账号 member2 的所属支部随之改为 红星嘎查党支部" in preview
    assert "待办交接（1 项）" in preview and "本人办理的事项（如党员测评）只能由其本人作答" in preview
    rows = {
        row.split("</a>", 1)[0].rsplit("#", 1)[1].split(" ", 1)[0]: row
        for row in preview.split('id="handover"', 1)[1].split("</tbody>", 1)[0].split("<tr>")[2:]
    }
    assert set(rows) == {str(walk.instance_id), str(signed.instance_id)}
    own = rows[str(walk.instance_id)]
    assert "党员测评" in own and "本人办理的事项，不交接，到期按流程处理" in own and ">不交接</td>" in own
    assert "请其加签" in rows[str(signed.instance_id)] and "下方选定的接手人" in rows[str(signed.instance_id)]
    assert '<option value="secretary1" selected>' in preview
    english = text(login("admin").get(preview_path + "&lang=en"))
    assert "Tasks of their own (a member evaluation, say) are answered by them alone" in english
    assert "Not handed over" in english
    form = {"kind": "move", "place": "2:3", "on": "2026-11-24", "handover_to": "secretary1"}
    with nothing_stored(kernel):
        assert post(admin, f"/admin/members/{member2}/move", form, preview_path).status_code == 422
    done = post(admin, f"/admin/members/{member2}/move", {**form, "reason": "工作调动"}, preview_path)
    assert done.status_code == 302
    page = text(admin.get(f"/admin/members/{member2}"))
    assert "转入 红星嘎查党支部；1 项待办已交接" in page
    assert member_by_code(kernel, "ZA-M02").branch_id == 2
    assert signers_of(kernel, signed.instance_id) == ["secretary1"]
    assert [t.instance_id for t in tasks_assigned(kernel, "member2")] == [walk.instance_id]
    assert_verifies(kernel)


def test_a_move_of_an_evaluator_with_nothing_else_waiting_asks_for_nobody(
    kernel: Kernel, login: Login
) -> None:
    walk = CreationWalk(kernel, candidate="member1", evaluators=("member2", "member3", "member4"))
    walk.start()
    member2 = account(kernel, "member2").member_id
    admin = login("admin")
    preview = text(admin.get(f"/admin/members/{member2}/move?kind=left&on=2026-11-24"))
    assert "等待其办理的事项（1 项）" in preview and "待办交接" not in preview
    assert "本人办理的事项，不交接，到期按流程处理" in preview and 'name="handover_to"' not in preview
    done = post(
        admin,
        f"/admin/members/{member2}/move",
        {"kind": "left", "on": "2026-11-24", "reason": "本人离开本镇"},
        f"/admin/members/{member2}/move?kind=left&on=2026-11-24",
    )
    assert done.status_code == 302
    page = text(admin.get(f"/admin/members/{member2}"))
    assert "已登记为离开" in page and "项待办已交接" not in page
    assert [t.instance_id for t in tasks_assigned(kernel, "member2")] == [walk.instance_id]


def test_a_move_blocked_by_an_area_place_names_it_and_offers_no_confirmation(
    kernel: Kernel, login: Login
) -> None:
    divide(kernel)
    member4 = account(kernel, "member4").member_id
    with nothing_stored(kernel):
        preview = text(login("admin").get(f"/admin/members/{member4}/move?kind=moved&on=2026-11-24"))
    assert "暂不能办理" in preview and "请先由治安村党支部办理责任区人员调整" in preview
    assert "查看责任区" in preview and "确认转出本镇" not in preview


def test_holidays_are_added_and_removed_on_their_page(kernel: Kernel, login: Login) -> None:
    admin = login("admin")
    added = post(
        admin, "/admin/holidays", {"day": "2031-02-03", "kind": "holiday", "name": "春节"}, "/admin/holidays"
    )
    assert added.status_code == 302 and added.headers["Location"] == "/admin/holidays?year=2031"
    page = text(admin.get("/admin/holidays?year=2031"))
    assert "2031-02-03" in page and "春节" in page and "已登记 2031-02-03" in page
    with nothing_stored(kernel):
        refused = post(admin, "/admin/holidays", {"day": "2031-02-08", "kind": "holiday"}, "/admin/holidays")
    assert refused.status_code == 422 and "2031-02-08 已是休息日，无需登记为节假日" in text(refused)
    removed = post(admin, "/admin/holidays/2031-02-03/remove", {}, "/admin/holidays?year=2031")
    assert removed.status_code == 302
    assert 'id="day-2031-02-03"' not in text(admin.get("/admin/holidays?year=2031"))
    committee = text(login("committee").get("/admin/holidays"))
    assert "登记一天" not in committee
