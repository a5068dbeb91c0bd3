"""管理员干预 in real Chromium: after a newer model_post_creation changes a step a case has already
done, the administrator opens the case, asks to migrate it and sees the migration refused naming that
step, nothing changed; the administrator cancels another case with a reason and reads the
cancellation with its reason in the case's history, and verify stays clean. The panel, the check,
the confirmation and the stuck cases are looked at on a phone and in English too.

These tests publish versions, so they run on a server of their own (a fresh database), not on the
session's shared one that the other browser tests walk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from browser_support import ARTIFACTS, DESKTOP, MOBILE, PASSWORD, Device, LiveServer, served, town
from intervention_support import (
    DETERMINE,
    PREPARE,
    PREPARE_NAME,
    at_consent,
    at_determine,
    make_stuck,
    publish_changed_prepare,
)
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from support import CreationWalk

from xianfeng.engine.models import Event, ProcessInstance
from xianfeng.engine.services import audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CANCEL_REASON = "候选人已调离本村，终止提名"
FOLDER = ARTIFACTS.parent / "interventions"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with served(town(tmp_path_factory.mktemp("interventions-server")), "interventions") as live:
        yield live


def _context(browser: Browser, server: LiveServer, device: Device) -> BrowserContext:
    options: dict[str, object] = {
        "viewport": {"width": device.width, "height": device.height},
        "base_url": server.url,
        "locale": "zh-CN",
    }
    if device.mobile:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    made = browser.new_context(**options)  # type: ignore[arg-type]
    made.set_default_timeout(30_000)
    return made


@pytest.fixture(params=[DESKTOP, MOBILE], ids=lambda d: f"{d.name}-{d.width}")
def device(request: pytest.FixtureRequest) -> Device:
    return request.param  # type: ignore[no-any-return]


def _admin(browser: Browser, server: LiveServer, device: Device) -> Page:
    page = _context(browser, server, device).new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_have_attribute("title", "admin")
    return page


def _shot(page: Page, device: Device, name: str) -> None:
    folder = FOLDER / str(device.width)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _fits(page: Page, device: Device, what: str) -> None:
    if device.mobile:
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{what} scrolls sideways at {inner} px: the page is {width} px wide"


def _where(server: LiveServer, instance_id: int) -> tuple[int, int, int]:
    """The case's version row, state version and the chain's length: what a refusal must not move."""
    with server.kernel.db.unit_of_work(write=False) as uow:
        instance = uow.session.get(ProcessInstance, instance_id)
        assert instance is not None
        events = uow.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one()
        return instance.process_version_id, instance.state_version, int(events)


def _panel(page: Page) -> Locator:
    panel = page.locator("#interventions")
    expect(panel.get_by_role("heading", name="管理员干预")).to_be_visible()
    return panel


def _history_row(page: Page, operation: str) -> Locator:
    return page.locator("#history tbody tr").filter(
        has=page.locator('td[data-label="操作"]', has_text=re.compile(f"^{operation}$"))
    )


def test_a_migration_that_would_change_a_done_step_is_refused_and_a_cancellation_is_on_the_record(
    browser: Browser, server: LiveServer, device: Device
) -> None:
    people = {DESKTOP.name: ("member1", "member5"), MOBILE.name: ("member9", "member10")}[device.name]
    done = at_consent(server.kernel, candidate=people[0])
    version = publish_changed_prepare(server.kernel)
    page = _admin(browser, server, device)

    page.goto(f"/instances/{done.instance_id}")
    panel = _panel(page)
    panel.get_by_text("迁移到新版本").click()
    panel.get_by_label("新版本").select_option(str(version))
    _fits(page, device, "the case page with its panel")
    _shot(page, device, "01-panel-migrate")
    before = _where(server, done.instance_id)
    panel.get_by_role("button", name="检查能否迁移").click()
    verdict = page.locator("#migration-verdict")
    expect(verdict).to_contain_text("不能迁移，案件保持在第")
    expect(verdict.locator("ul.blockers li").filter(has_text=PREPARE)).to_have_text(
        f"{PREPARE_NAME}（{PREPARE}）：本案件已办理此步骤，新版本修改了它"
    )
    expect(page.get_by_role("button", name=re.compile("确认迁移"))).to_have_count(0)
    _fits(page, device, "the migration check")
    _shot(page, device, "02-migration-refused")
    assert _where(server, done.instance_id) == before

    started = CreationWalk(server.kernel, candidate=people[1], evaluators=("member2", "member3", "member4"))
    started.start()
    page.goto(f"/instances/{started.instance_id}")
    panel = _panel(page)
    panel.get_by_text("取消案件", exact=True).click()
    panel.locator("#cancel").get_by_label(re.compile("理由")).fill(CANCEL_REASON)
    panel.get_by_role("button", name="取消案件…").click()
    expect(page.locator("h1")).to_have_text("确认取消案件")
    expect(page.locator("#confirm-cancel")).to_contain_text("3 项待办结束")
    _fits(page, device, "the confirmation")
    _shot(page, device, "03-cancel-confirm")
    page.get_by_role("button", name="确认取消案件").click()
    expect(page).to_have_url(re.compile(rf"/instances/{started.instance_id}#interventions$"))
    expect(page.locator(".flash.success")).to_contain_text("已取消该案件")
    expect(page.locator("header.card .facts")).to_contain_text("已取消")
    row = _history_row(page, "管理员干预：取消")
    expect(row).to_have_count(1)
    expect(row.locator('td[data-label="办理人"]')).to_have_text(re.compile(r"^\s*系统管理员\s+管理员\s*$"))
    expect(row.locator('td[data-label="意见与填写内容"]')).to_contain_text(CANCEL_REASON)
    _fits(page, device, "the cancelled case")
    _shot(page, device, "04-cancelled-history")

    report = audit.verify(server.kernel)
    assert report.ok, report.problems


def test_the_panel_the_check_and_the_stuck_cases_read_in_english(
    browser: Browser, server: LiveServer, device: Device
) -> None:
    evaluated, determined = {DESKTOP.name: ("member6", "member8"), MOBILE.name: ("member7", "member10")}[
        device.name
    ]
    listing = at_determine(server.kernel, candidate=determined, evaluators=("member2", "member3", "member4"))
    case = CreationWalk(server.kernel, candidate=evaluated, evaluators=("member2", "member3", "member4"))
    case.start()
    publish_changed_prepare(server.kernel)  # a version newer than the case's, to check against
    page = _admin(browser, server, device)

    page.goto(f"/instances/{listing.instance_id}")  # the branch's 支部确定名单 may be handed on
    determine = _panel(page).locator(f"#task-{listing.task_of('secretary1', DETERMINE).id}")
    determine.get_by_text("转交给他人").click()
    expect(determine.get_by_label("交给")).to_be_visible()
    _fits(page, device, "the panel's hand-over")
    _shot(page, device, "05-panel-tasks")
    determine.get_by_role("link", name="代为办理").click()
    expect(page.locator("h1")).to_have_text("代为办理：支部确定名单")
    expect(page.get_by_label(re.compile("代为办理的理由"))).to_be_visible()
    _fits(page, device, "the on-behalf form")
    _shot(page, device, "05b-on-behalf")

    page.goto(f"/instances/{case.instance_id}")  # an evaluator's own 党员测评 may not
    evaluation = f"#task-{case.task_of('member2', 'Task_member_evaluation').id}"
    own = _panel(page).locator(evaluation)
    expect(own.locator(".personal-task")).to_contain_text("本人办理的事项：只能由其本人作答")
    expect(own.get_by_role("link", name="代为办理")).to_have_count(0)
    expect(own.get_by_text("转交给他人")).to_have_count(0)
    own.scroll_into_view_if_needed()
    _fits(page, device, "the panel with a personal task")
    _shot(page, device, "05c-personal-task")
    page.get_by_role("button", name="English").click()
    panel = page.locator("#interventions")
    expect(panel.get_by_role("heading", name="Administrator's interventions")).to_be_visible()
    expect(panel.locator(f"{evaluation} .personal-task")).to_contain_text("A task of this person's own")
    panel.get_by_text("Move to a newer version").click()
    panel.get_by_text("Cancel the case", exact=True).click()
    _fits(page, device, "the panel in English")
    _shot(page, device, "06-panel-en")
    panel.get_by_role("button", name="Check whether it can move").click()
    expect(page.locator("#migration-verdict")).to_contain_text("cannot move")
    _fits(page, device, "the migration check in English")
    _shot(page, device, "07-migration-en")
    page.get_by_role("button", name="中文").click()

    make_stuck(server.kernel, case.instance_id)  # the shared clock moves on; later cases start then
    page.goto("/admin/stuck")
    listed = page.locator(f"#stuck-{case.instance_id}")
    expect(listed).to_contain_text("定时步骤「测评期满」应于")
    _fits(page, device, "the stuck cases")
    _shot(page, device, "08-stuck")
    listed.get_by_label(re.compile("理由")).fill("定时器未触发，手动重试")
    listed.get_by_role("button", name="重试").click()
    expect(page.locator(".flash.success")).to_contain_text("已重试")
    expect(page.locator(f"#stuck-{case.instance_id}")).to_have_count(0)
