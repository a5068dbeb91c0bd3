"""The administrators' room in real Chromium, on a desktop screen and on a phone (branch 3 of the
shared server, so the other browser tests are not disturbed):
- a roster with one bad row is uploaded (the row and its reason shown, nothing stored), then the
  corrected file, previewed and confirmed;
- an account is opened for the new member, whose holder signs in with the one-time password and
  must choose a new one before anything else;
- a member is moved to another branch: the preview says their own evaluation is not handed over
  (nobody else may answer it), the move is done and the evaluation is still theirs; a member
  holding an area place is not moved, the area named;
- an account is disabled: its open session and its API token stop at once.
Screenshots go to test-artifacts/admin/<width>/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from admin_support import assert_verifies, read_roster, tasks_assigned, write_roster
from area_support import DivisionWalk
from browser_support import DESKTOP, MOBILE, PASSWORD, Device, LiveServer
from playwright.sync_api import Browser, BrowserContext, Page, expect
from support import CreationWalk, actor, member_id_of

from xianfeng.engine.models import Member
from xianfeng.engine.services.admin.roster_export import export_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Per device: the member the roster adds, the new account, the evaluator moved, the account disabled.
DATA: dict[str, dict[str, Any]] = {
    DESKTOP.name: {
        "code": "ZA-M70",
        "name": "包红梅",
        "user": "baohongmei",
        "walk": ("member21", ("member22", "member23", "member24")),
        "disable": "member29",
    },
    MOBILE.name: {
        "code": "ZA-M71",
        "name": "乌云娜",
        "user": "wuyunna01",
        "walk": ("member25", ("member26", "member27", "member28")),
        "disable": "member30",
    },
}


@pytest.fixture(params=[DESKTOP, MOBILE], ids=lambda d: f"{d.name}-{d.width}")
def device(request: pytest.FixtureRequest) -> Device:
    return request.param  # type: ignore[no-any-return]


class Room:
    """One device's run: a browser context per person, screenshots under test-artifacts/admin/."""

    def __init__(self, browser: Browser, server: LiveServer, device: Device) -> None:
        self.browser, self.server, self.device = browser, server, device
        self.folder = ARTIFACTS / str(device.width)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.contexts: list[BrowserContext] = []

    def page(self) -> Page:
        options: dict[str, object] = {
            "viewport": {"width": self.device.width, "height": self.device.height},
            "base_url": self.server.url,
            "locale": "zh-CN",
        }
        if self.device.mobile:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        context = self.browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return context.new_page()

    def sign_in(self, username: str, password: str = PASSWORD, page: Page | None = None) -> Page:
        page = page or self.page()
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        return page

    def shot(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")  # the stylesheets too: a phone lays out what it has
        if self.device.mobile:
            width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width <= inner == self.device.width, f"{name}: {width} px wide at {inner} px"
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def room(browser: Browser, live_server: LiveServer, device: Device) -> Iterator[Room]:
    made = Room(browser, live_server, device)
    yield made
    made.close()


@pytest.fixture(scope="module")
def areas_of_branch_3(live_server: LiveServer) -> str:
    """Branch 3 divided into two areas, member24 alone in 新民村's: the member a move must refuse."""
    kernel = live_server.kernel
    walk = DivisionWalk(kernel, secretary="secretary3").begin()
    walk.add_area(5, "新民村一组", ["member24"], "member24", True)
    walk.add_area(6, "前进村一组", ["member27"], "member27", False)
    # Everyone else of the branch is exempted, the member an earlier test imported into it included.
    with kernel.db.unit_of_work(write=False) as uow:
        others = uow.session.execute(
            sa.select(Member.id).where(
                Member.branch_id == 3,
                Member.status == "active",
                Member.id.not_in([member_id_of(kernel, "member24"), member_id_of(kernel, "member27")]),
            )
        ).scalars()
        exempt = {"exempt_member_ids": list(others), "add_area": False, "exemption_reason": "长期外出务工"}
    walk.complete("secretary3", exempt, "Task_place_members")
    walk.consult()
    assert walk.decide("approve").outcome == "active"
    return "member24"


def _member_count(server: LiveServer, code: str) -> int:
    with server.kernel.db.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).where(Member.code == code)).scalar_one())


def _upload(page: Page, name: str, content: bytes) -> None:
    page.locator('input[name="file"]').set_input_files(
        files=[{"name": name, "mimeType": XLSX, "buffer": content}]
    )
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("h1")).to_contain_text("导入预览")


def test_an_administrator_imports_a_roster_then_opens_an_account_for_the_new_member(
    room: Room, live_server: LiveServer, device: Device
) -> None:
    data = DATA[device.name]
    rows = read_roster(export_xlsx(live_server.kernel, actor(live_server.kernel, "admin")))
    new = {"党员编号": data["code"], "姓名": data["name"], "性别": "女", "所在党支部": "新民村党支部"}
    admin = room.sign_in("admin")
    expect(admin).to_have_url(re.compile(r"/admin$"))
    nav = admin.locator("nav.mainnav")
    for item in ("组织机构", "党员", "账号", "花名册", "节假日"):
        expect(nav.get_by_role("link", name=item, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="待办")).to_have_count(0)
    room.shot(admin, "01-admin-home")

    nav.get_by_role("link", name="花名册", exact=True).click()
    room.shot(admin, "02-roster")
    _upload(admin, "花名册-有误.xlsx", write_roster([*rows, {**new, "所在嘎查村": "红星嘎查"}]))
    bad = admin.locator("tr.refuse")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text(data["code"])
    expect(bad).to_contain_text("嘎查村“红星嘎查”不属于新民村党支部")
    expect(admin.get_by_role("button", name=re.compile("确认导入"))).to_have_count(0)
    room.shot(admin, "03-roster-preview-refused")
    assert _member_count(live_server, data["code"]) == 0

    admin.get_by_role("link", name="重新上传").click()
    _upload(admin, "花名册.xlsx", write_roster([*rows, {**new, "所在嘎查村": "前进村"}]))
    expect(admin.locator("#counts")).to_contain_text("新增 1 名，修改 0 名")
    room.shot(admin, "04-roster-preview")
    admin.get_by_label("说明（可选，记入日志）").fill("补录新党员")
    admin.get_by_role("button", name=re.compile("确认导入")).click()
    expect(admin.locator("#done")).to_contain_text("新增 1 名")
    room.shot(admin, "05-roster-done")
    assert _member_count(live_server, data["code"]) == 1

    _open_account_and_first_sign_in(room, admin, data)


def _open_account_and_first_sign_in(room: Room, admin: Page, data: dict[str, Any]) -> None:
    admin.locator("nav.mainnav").get_by_role("link", name="账号", exact=True).click()
    admin.get_by_role("link", name="开设账号").click()
    admin.get_by_label("用户名").fill(data["user"])
    admin.get_by_label("党员", exact=True).check()
    admin.get_by_label("对应党员（党员编号）").fill(data["code"])
    room.shot(admin, "06-account-new")
    admin.get_by_role("button", name="开设账号并生成临时密码").click()
    secret = admin.locator("#temporary-password").inner_text().strip()
    assert len(secret) == 12
    room.shot(admin, "07-account-temporary-password")

    holder = room.sign_in(data["user"], secret)
    expect(holder).to_have_url(re.compile(r"/account/password$"))
    expect(holder.locator("#must-change")).to_be_visible()
    holder.goto("/inbox")
    expect(holder).to_have_url(re.compile(r"/account/password$"))
    room.shot(holder, "08-first-sign-in")
    holder.get_by_label("新密码", exact=True).fill("我自己的新密码2026")
    holder.get_by_label("再次输入新密码").fill("我自己的新密码2026")
    holder.get_by_role("button", name="保存新密码").click()
    expect(holder.locator(".flash.success")).to_contain_text("密码已修改")
    expect(holder.locator("h1")).to_have_text("待办")
    room.shot(holder, "09-after-new-password")
    again = room.sign_in(data["user"], "我自己的新密码2026")
    expect(again.locator("h1")).to_have_text("待办")


def test_a_member_moves_to_another_branch_and_their_own_evaluation_stays_theirs(
    room: Room, live_server: LiveServer, device: Device, areas_of_branch_3: str
) -> None:
    kernel = live_server.kernel
    candidate, evaluators = DATA[device.name]["walk"]
    walk = CreationWalk(kernel, secretary="secretary3", candidate=candidate, evaluators=evaluators)
    walk.start()
    mover = evaluators[0]
    admin = room.sign_in("admin")

    admin.goto(f"/admin/members/{member_id_of(kernel, areas_of_branch_3)}")
    admin.locator("#move").get_by_label("转支部（本镇内）").check()
    admin.locator("#move").get_by_label(re.compile("转入党支部")).select_option("2:3")
    admin.locator("#move").get_by_role("button", name="预览").click()
    expect(admin.locator("#blockers")).to_contain_text("新民村一组")
    expect(admin.locator("#blockers")).to_contain_text("责任区人员调整")
    expect(admin.get_by_role("button", name=re.compile("确认"))).to_have_count(0)
    room.shot(admin, "10-move-refused-area")

    admin.goto(f"/admin/members/{member_id_of(kernel, mover)}")
    room.shot(admin, "11-member")
    admin.locator("#move").get_by_label("转支部（本镇内）").check()
    admin.locator("#move").get_by_label(re.compile("转入党支部")).select_option("2:3")
    admin.locator("#move").get_by_role("button", name="预览").click()
    waiting = admin.locator("#handover")  # an evaluator's own 党员测评: nobody else may answer it
    expect(waiting.locator("h2")).to_have_text("等待其办理的事项（1 项）")
    row = waiting.locator("tbody tr").filter(has_text=f"#{walk.instance_id}")
    expect(row.locator('td[data-label="现状"]')).to_have_text("本人办理的事项，不交接，到期按流程处理")
    expect(row.locator('td[data-label="交给"]')).to_have_text("不交接")
    expect(waiting.get_by_label("接手人")).to_have_count(0)
    expect(admin.locator("ul.plan")).to_contain_text("从 新民村党支部 转入 红星嘎查党支部")
    room.shot(admin, "12-move-preview")
    admin.get_by_label("原因").fill("工作调动到红星嘎查")
    admin.get_by_role("button", name="确认转支部").click()
    expect(admin.locator(".flash.success")).to_contain_text("已转入 红星嘎查党支部")
    expect(admin.locator(".flash.success")).not_to_contain_text("项待办已交接")
    expect(admin.locator("h1")).to_contain_text("在册")
    room.shot(admin, "13-moved")
    assert [t.instance_id for t in tasks_assigned(kernel, mover)] == [walk.instance_id]
    assert walk.instance_id not in [t.instance_id for t in tasks_assigned(kernel, "secretary3")]


def test_a_disabled_account_loses_its_session_and_token_at_once(
    room: Room, live_server: LiveServer, device: Device
) -> None:
    username = DATA[device.name]["disable"]
    holder = room.sign_in(username)
    expect(holder.locator("h1")).to_have_text("待办")
    token = holder.request.post(
        "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    ).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert holder.request.get("/api/v1/tasks", headers=bearer).status == 200

    admin = room.sign_in("admin")
    admin.locator("nav.mainnav").get_by_role("link", name="账号", exact=True).click()
    admin.get_by_label("用户名、姓名或党员编号").fill(username)
    admin.get_by_role("button", name="筛选").click()
    admin.get_by_role("link", name=username, exact=True).click()
    admin.locator("#disable summary").click()
    admin.locator("#disable").get_by_label("原因").fill("长期外出务工，暂停使用")
    room.shot(admin, "14-disable")
    admin.locator("#disable").get_by_role("button", name="停用账号").click()
    expect(admin.locator(".flash.success")).to_contain_text(f"已停用账号 {username}")
    room.shot(admin, "15-disabled")

    holder.goto("/inbox")
    expect(holder).to_have_url(re.compile(r"/login"))
    assert holder.request.get("/api/v1/tasks", headers=bearer).status == 401
    room.sign_in(username)
    expect(room.contexts[-1].pages[0].locator(".error")).to_contain_text("用户名或密码不正确")
    assert_verifies(live_server.kernel, replay=False)


def test_the_remaining_admin_pages_fit_and_read_well(room: Room) -> None:
    admin = room.sign_in("admin")
    for path, name in (
        ("/admin/org", "16-org"),
        ("/admin/members?branch=3", "17-members"),
        ("/admin/accounts", "18-accounts"),
        ("/admin/holidays?year=2031", "19-holidays"),
        ("/account/password", "20-password"),
    ):
        admin.goto(path)
        expect(admin.locator("h1")).to_be_visible()
        room.shot(admin, name)
    committee = room.sign_in("committee")
    committee.goto("/admin")
    expect(committee.locator("nav.admin-tabs")).to_be_visible()
    room.shot(committee, "21-committee-reads")
