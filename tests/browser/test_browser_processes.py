"""流程管理 in real Chromium: an administrator lengthens the public notice from 5 to 7 working days in
the editor, reads the what-if, publishes with a reason; the notice already running keeps 5 days and
a new one gets 7; a gateway left without an outgoing flow is refused and marked on the diagram; the
diff of the two versions colours the changed script task. The list, the diff and the what-if also
work on a phone.

These tests publish versions, so they run on a server of their own (a fresh database), not on the
session's shared one that the other browser tests walk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_support import ARTIFACTS, DESKTOP, MOBILE, PASSWORD, Device, LiveServer, served, town
from playwright.sync_api import Browser, BrowserContext, Page, expect
from support import CreationWalk

from xianfeng.engine.models import PublicNotice
from xianfeng.engine.services import accounts
from xianfeng.engine.services.admin import processes

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIVE_DAYS = "notice_days = 5"
SEVEN_DAYS = "notice_days = 7"
REASON = "公示期延长至7个工作日，便于群众充分监督"
LOADED = 30_000  # ms: the editors' bundles (3 MB) load and draw slowly on a busy machine


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with served(town(tmp_path_factory.mktemp("procedures-server")), "procedures") as live:
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


@pytest.fixture
def desktop(browser: Browser, server: LiveServer) -> Iterator[BrowserContext]:
    made = _context(browser, server, DESKTOP)
    yield made
    made.close()


@pytest.fixture
def phone(browser: Browser, server: LiveServer) -> Iterator[BrowserContext]:
    made = _context(browser, server, MOBILE)
    yield made
    made.close()


def _sign_in(context: BrowserContext, username: str) -> Page:
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_have_attribute("title", username)
    return page


def _shot(page: Page, device: Device, name: str) -> None:
    folder = ARTIFACTS / "procedures" / str(device.width)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _fits(page: Page, device: Device, what: str) -> None:
    if device.mobile:
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{what} scrolls sideways at {inner} px: the page is {width} px wide"


def _notice_days(server: LiveServer, instance_id: int) -> int:
    with server.kernel.db.unit_of_work(write=False) as uow:
        return int(
            uow.session.execute(
                sa.select(PublicNotice.working_days).where(PublicNotice.instance_id == instance_id)
            ).scalar_one()
        )


def _open_editor(page: Page, process_key: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="流程管理").click()
    expect(page.locator("h1")).to_have_text("流程管理")
    section = page.locator(f"#process-{process_key}")
    section.get_by_role("button", name="编辑").or_(
        section.get_by_role("link", name=re.compile("继续编辑"))
    ).click()
    expect(page.locator("h1")).to_contain_text("编辑流程")
    expect(page.locator('.djs-element[data-element-id="Script_notice_period"]')).to_be_visible(timeout=LOADED)


def _edit_script(page: Page) -> None:
    """Select the script task, open the panel's script group, write 7 for 5."""
    page.locator('.djs-element[data-element-id="Script_notice_period"]').click()
    group = page.locator('[data-group-id="group-xianfeng-script"]')
    group.locator(".bio-properties-panel-group-header").click()
    script = page.locator("#bio-properties-panel-xf-script")
    expect(script).to_be_visible()
    text = script.input_value()
    assert FIVE_DAYS in text
    script.fill(text.replace(FIVE_DAYS, SEVEN_DAYS))


def test_an_administrator_lengthens_the_notice_reads_the_what_if_and_publishes(
    server: LiveServer, desktop: BrowserContext
) -> None:
    running = CreationWalk(server.kernel, "secretary1", "member1", ("member2", "member3", "member4"))
    running.start()
    running.evaluate()  # its notice of 5 working days runs now
    page = _sign_in(desktop, "admin")
    _open_editor(page, "public_notice")
    _edit_script(page)
    expect(page.locator("#save-status")).to_have_text("有未保存的修改")
    expect(page.locator("#publish-button")).to_be_disabled()
    page.locator("#save").click()
    expect(page.locator("#summary")).to_contain_text("检查通过", timeout=LOADED)
    expect(page.locator("#publish-button")).to_be_enabled()
    _shot(page, DESKTOP, "01-editor-saved")

    page.get_by_role("link", name="试算：对现有案件的影响").click()
    page.get_by_role("button", name="开始试算").click()
    expect(page.locator("#counts")).to_be_visible(timeout=120_000)  # the what-if runs in the background
    row = page.locator(f'tr.case[data-instance="{running.instance_id}"]')
    expect(row).to_contain_text("期限不同")
    expect(row).to_contain_text("→")
    expect(page.locator('[data-verdict="different_deadlines"]')).to_have_text("1")
    _shot(page, DESKTOP, "02-what-if")

    page.get_by_role("link", name=re.compile("返回草稿")).click()
    page.get_by_label("发布理由（必填，记入日志）").fill(REASON)
    page.locator("#publish-button").click()
    expect(page.locator(".flash.success")).to_contain_text("已发布新版本")
    section = page.locator("#process-public_notice")
    expect(section.locator("tr.version.current")).to_contain_text("v2")
    expect(section.locator("tr.version.current")).to_contain_text(REASON)
    _shot(page, DESKTOP, "03-published")

    later = CreationWalk(server.kernel, "secretary1", "member5", ("member6", "member7", "member8"))
    later.start()
    later.evaluate()
    assert (_notice_days(server, running.instance_id), _notice_days(server, later.instance_id)) == (5, 7)

    page.locator("#process-public_notice").get_by_role("link", name="最近两版差异").click()
    expect(page.locator("body")).to_have_attribute("data-diff-ready", "true", timeout=LOADED)
    changed = '.diff-canvas[data-side="{}"] .djs-element.diff-changed[data-element-id="Script_notice_period"]'
    expect(page.locator(changed.format("old"))).to_have_count(1)
    expect(page.locator(changed.format("new"))).to_have_count(1)
    listed = page.locator('tr.change[data-element="Script_notice_period"]')
    expect(listed.locator("td.old")).to_contain_text(FIVE_DAYS)
    expect(listed.locator("td.new")).to_contain_text(SEVEN_DAYS)
    _shot(page, DESKTOP, "04-diff")


def test_a_gateway_left_without_an_outgoing_flow_is_refused_and_marked(
    server: LiveServer, desktop: BrowserContext
) -> None:
    page = _sign_in(desktop, "admin")
    _open_editor(page, "public_notice")
    page.evaluate(
        """() => {
          const modeler = window.xianfengModeler;
          const registry = modeler.get('elementRegistry');
          const flows = registry.get('Gateway_objection').outgoing.slice();
          modeler.get('modeling').removeElements(flows);
        }"""
    )
    page.locator("#save").click()
    problem = page.locator('#problem-list li[data-element="Gateway_objection"]')
    expect(problem).to_contain_text("no outgoing flow", timeout=LOADED)
    expect(page.locator("#summary")).to_contain_text("检查未通过")
    expect(page.locator('.djs-element.xf-problem[data-element-id="Gateway_objection"]')).to_have_count(1)
    expect(page.locator(".xf-problem-note").first).to_contain_text("no outgoing flow")
    expect(page.locator("#publish-button")).to_be_disabled()
    _shot(page, DESKTOP, "05-refused")
    page.get_by_role("button", name="放弃此草稿").click()
    expect(page.locator(".flash.success")).to_contain_text("已放弃")


def test_decision_tables_and_forms_open_with_a_live_preview_in_both_languages(
    server: LiveServer, desktop: BrowserContext
) -> None:
    page = _sign_in(desktop, "admin")
    page.goto("/admin/processes")
    page.locator("#process-model_post_creation").get_by_role("button", name="编辑").click()
    expect(page.locator("#editor")).to_have_attribute("data-open", "model_post_creation.bpmn", timeout=LOADED)
    page.locator(".file-tab", has_text="nomination_evaluation.dmn").click()
    expect(page.locator("#pane-dmn .tjs-table")).to_be_visible(timeout=LOADED)
    page.locator(".file-tab", has_text="consent.json").click()
    preview = page.locator("#form-preview")
    expect(preview).to_contain_text("公开承诺", timeout=LOADED)
    preview.get_by_role("button", name="English").click()
    expect(preview).to_contain_text("Public pledge", timeout=LOADED)
    page.locator("#form-text").fill('{"id": "consent"')
    expect(page.locator("#form-check")).to_contain_text("JSON 格式有误")
    _shot(page, DESKTOP, "06-form")
    page.get_by_role("button", name="放弃此草稿").click()


def _longer_notice_draft(server: LiveServer) -> int:
    """A draft adding a working day to the notice, whatever the published period is now."""
    admin = accounts.actor_for(server.kernel, "admin")
    draft = processes.open_draft(server.kernel, admin, "public_notice")
    text = draft.files["public_notice.bpmn"]
    days = int(re.search(r"notice_days = (\d+)", text).group(1))  # type: ignore[union-attr]
    changed = text.replace(f"notice_days = {days}", f"notice_days = {days + 1}", 1)
    saved = processes.save_draft(server.kernel, admin, draft.id, {"public_notice.bpmn": changed})
    assert saved.problems == []
    return draft.id


def test_the_list_the_diff_and_the_what_if_work_on_a_phone(server: LiveServer, phone: BrowserContext) -> None:
    draft_id = _longer_notice_draft(server)
    page = _sign_in(phone, "admin")
    page.goto("/admin/processes")
    expect(page.locator("h1")).to_have_text("流程管理")
    _fits(page, MOBILE, "the process list")
    _shot(page, MOBILE, "01-list")
    page.locator("#process-public_notice").get_by_role("link", name="草稿差异").click()
    expect(page.locator("body")).to_have_attribute("data-diff-ready", "true", timeout=LOADED)
    changed = (
        '.diff-canvas[data-side="new"] .djs-element.diff-changed[data-element-id="Script_notice_period"]'
    )
    expect(page.locator(changed)).to_have_count(1)
    _fits(page, MOBILE, "the diff")
    _shot(page, MOBILE, "02-diff")
    page.goto(f"/admin/processes/drafts/{draft_id}")
    expect(page.locator(".narrow-note")).to_be_visible()
    page.get_by_role("link", name="试算：对现有案件的影响").click()
    _fits(page, MOBILE, "the what-if form")
    page.get_by_role("button", name="开始试算").click()
    expect(page.locator("#counts")).to_be_visible(timeout=120_000)  # the what-if runs in the background
    _fits(page, MOBILE, "the what-if")
    _shot(page, MOBILE, "03-what-if")
    processes.discard(server.kernel, accounts.actor_for(server.kernel, "admin"), draft_id)
