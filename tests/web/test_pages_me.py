"""我的: a member's own page — tasks, post, areas with their goals, records, rectifications and
notifications — and only theirs."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from support import CreationWalk, actor, establish_post
from test_pages_support import text
from walks_support import divide

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import areas

Login = Callable[[str], FlaskClient]


def test_a_member_finds_their_post_tasks_and_notifications(kernel: Kernel, login: Login) -> None:
    establish_post(kernel)  # member1's post
    CreationWalk(kernel, candidate="member5", evaluators=("member1", "member3", "member4")).start()
    client = login("member1")
    page = text(client.get("/me"))
    assert "<h1>我的 <small>" in page and "治安村党支部" in page
    assert "便民服务示范岗" in page and "牌号 ZA-SFG-" in page and "服务承诺：我愿意承担示范岗职责" in page
    tasks = page.split('id="my-tasks"', 1)[1].split("</section>", 1)[0]
    assert ">党员测评</a>" in tasks and "截止" in tasks
    notices = page.split('id="my-notifications"', 1)[1].split("</section>", 1)[0]
    assert '<span class="tag">新待办</span>' in notices and "未读" in notices
    assert 'href="/me"' in page  # in the nav
    assert "You hold no model post now." in text(login("member9").get("/me?lang=en"))


def test_a_member_sees_their_area_its_goals_and_their_records(kernel: Kernel, login: Login) -> None:
    divide(kernel)  # member1 and member4 (the lead) share 东风村牧业组
    areas.record_work(
        kernel,
        actor(kernel, "member4"),
        {
            "kind": "service",
            "domain": "hardship_relief",
            "happened_on": "2026-11-20",
            "what": "为困难户代办低保续期",
        },
    )
    page = text(login("member4").get("/me"))
    area = page.split('id="my-area"', 1)[1].split("</section>", 1)[0]
    assert "东风村牧业组" in area and "牵头人" in area
    # Their own scope and tasks, as they stated them for the division (R8), not their partner's.
    assert "东风村牧业组：member4 联系的农牧户" in area and "member4 负责政策宣讲、矛盾调解" in area
    assert "member1 联系的农牧户" not in area
    records = page.split('id="my-records"', 1)[1].split("</section>", 1)[0]
    assert "为困难户代办低保续期" in records and "困难救助" in records  # the seed's word (R12)
    other = text(login("member1").get("/me"))
    assert "为困难户代办低保续期" not in other.split('id="my-records"', 1)[1]  # only their own


def test_an_account_that_is_no_member_has_no_page_of_its_own(login: Login) -> None:
    assert login("committee").get("/me").status_code == 404
    assert 'href="/me"' not in text(login("committee").get("/stats"))
