"""统计分析 and the printable 公示 in real Chromium, on a desktop screen and on a phone: the committee
opens the statistics from the nav and ECharts draws every chart from the page's data block (Chinese
labels in the SVG); a villager prints a notice from the board and the PDF says what the board says.
Screenshots are kept under test-artifacts/browser/stats/<width>/ for a reviewer."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, DESKTOP, MOBILE, PASSWORD, Device, LiveServer, person
from pdf_support import flat, pdf_text, qr_codes
from playwright.sync_api import Browser, BrowserContext, Page, expect
from support import CreationWalk

from xianfeng.engine.services import notifications, stats_steps

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Each device's cases are in their own branch's members, so the runs share the server with the others.
POSTS = {
    DESKTOP.name: ("member21", ("member22", "member23", "member24")),
    MOBILE.name: ("member25", ("member26", "member27", "member28")),
}
NOTICES = {
    DESKTOP.name: ("member15", ("member16", "member17", "member18")),
    MOBILE.name: ("member19", ("member12", "member13", "member14")),
}


@pytest.fixture(params=[DESKTOP, MOBILE], ids=lambda d: f"{d.name}-{d.width}")
def device(request: pytest.FixtureRequest) -> Device:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def context(browser: Browser, live_server: LiveServer, device: Device) -> Iterator[BrowserContext]:
    options: dict[str, object] = {
        "viewport": {"width": device.width, "height": device.height},
        "base_url": live_server.url,
        "locale": "zh-CN",
    }
    if device.mobile:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    made = browser.new_context(**options)  # type: ignore[arg-type]
    made.set_default_timeout(15_000)
    yield made
    made.close()


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_have_attribute("title", username)


def fits(page: Page, device: Device, what: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner == device.width, f"{what} is {width} px wide at {inner} px"


def folder(device: Device) -> Path:
    path = ARTIFACTS / "stats" / str(device.width)
    path.mkdir(parents=True, exist_ok=True)
    return path


def established(server: LiveServer, secretary: str, candidate: str, evaluators: tuple[str, ...]) -> None:
    walk = CreationWalk(server.kernel, secretary=secretary, candidate=candidate, evaluators=evaluators)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    assert walk.decide("approve").outcome == "established"


def test_the_committee_reads_the_statistics_drawn_by_echarts(
    context: BrowserContext, live_server: LiveServer, device: Device
) -> None:
    candidate, evaluators = POSTS[device.name]
    established(live_server, "secretary3", candidate, evaluators)
    stats_steps.catch_up(live_server.kernel)  # what the server's ticker does every second
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(  # the bundle and every page load; /favicon.ico is another helper's (issue 13, part A)
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None
        ),
    )
    sign_in(page, "committee")
    page.locator("nav.mainnav").get_by_role("link", name="统计分析").click()
    expect(page).to_have_url(re.compile(r"/stats$"))
    expect(page.locator("h1")).to_contain_text("统计分析")
    drawn = page.locator(".chart[data-drawn=true] svg")
    expect(drawn.first).to_be_visible()
    charts = page.locator(".chart").count()
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", str(charts))
    assert charts >= 5
    branch_chart = page.locator("#chart-posts_by_branch svg")
    expect(branch_chart).to_contain_text("新民村党支部")  # the axis labels, drawn as SVG text
    expect(page.locator("#chart-step_durations svg")).to_contain_text("党员测评")
    row = page.locator("#table-posts_by_branch tr", has_text="新民村党支部")
    assert int(row.locator("td").last.inner_text()) >= 1
    fits(page, device, "the statistics page")
    page.screenshot(path=str(folder(device) / "01-statistics.png"), full_page=True)

    page.get_by_label("范围").select_option(label="新民村党支部")
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(r"/stats\?branch=3"))
    expect(page.locator("h1 small")).to_have_text("新民村党支部")
    expect(page.locator("#chart-posts_by_branch svg")).not_to_contain_text("治安村党支部")
    with page.expect_download() as download:
        page.locator("#stats-xlsx").click()
    assert download.value.suggested_filename == "统计分析-新民村党支部.xlsx"
    fits(page, device, "one branch's statistics")
    page.screenshot(path=str(folder(device) / "02-one-branch.png"), full_page=True)
    assert errors == [], errors


def test_a_villager_prints_the_notice_from_the_board(
    context: BrowserContext, live_server: LiveServer, device: Device
) -> None:
    candidate, evaluators = NOTICES[device.name]
    walk = CreationWalk(
        live_server.kernel, secretary="secretary2", candidate=candidate, evaluators=evaluators
    )
    walk.start()
    walk.evaluate()  # the notice goes up
    page = context.new_page()
    page.goto("/public/notices")
    notice = page.locator("article.notice", has_text=person(live_server, candidate).name)
    link = notice.get_by_role("link", name="打印公示（PDF）")
    expect(link).to_be_visible()
    href = link.get_attribute("href") or ""
    fits(page, device, "the notice board")
    page.screenshot(path=str(folder(device) / "03-notice-board.png"), full_page=True)
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    words = flat(pdf_text(pdf))
    heading = flat(notice.locator("h2").inner_text())
    assert heading in words and "发布单位中共治安镇红星嘎查党支部" in words and "如有异议" in words
    notice_id = re.search(r"/public/notices/(\d+)/print\.pdf", href).group(1)  # type: ignore[union-attr]
    assert qr_codes(pdf) == [f"{live_server.url}/public/notices/{notice_id}/object"]
    (folder(device) / "04-notice.pdf").write_bytes(pdf)
    _picture(folder(device) / "04-notice.pdf")


def _picture(pdf: Path) -> None:
    """A PNG of the printout's first page beside it, for the reviewer (when poppler is installed)."""
    try:
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(pdf.with_suffix(""))],
            check=False,
            timeout=30,
            capture_output=True,
        )
    except (OSError, subprocess.TimeoutExpired):
        return


ME = {
    DESKTOP.name: ("member29", ("member30", "member21", "member22")),
    MOBILE.name: ("member30", ("member29", "member23", "member24")),
}


def test_a_member_opens_their_page_and_the_administrator_the_failed_deliveries(
    context: BrowserContext, live_server: LiveServer, device: Device
) -> None:
    candidate, evaluators = ME[device.name]
    kernel = live_server.kernel
    settings = kernel.settings
    kernel.settings = dataclasses.replace(settings, notify={"XIANFENG_NOTIFY_URLS_MEMBER": "dingtalk://"})
    try:
        CreationWalk(kernel, secretary="secretary3", candidate=candidate, evaluators=evaluators).start()
        notifications.dispatch(kernel)  # Apprise cannot use that address: each delivery fails at once
    finally:
        kernel.settings = settings
    page = context.new_page()
    sign_in(page, evaluators[0])
    page.locator("nav.mainnav").get_by_role("link", name="我的", exact=True).click()
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.locator("#my-tasks")).to_contain_text("党员测评")
    expect(page.locator("#my-notifications .tag").first).to_have_text("新待办")
    fits(page, device, "the member's own page")
    page.screenshot(path=str(folder(device) / "05-me.png"), full_page=True)

    admin = context.new_page()
    sign_in(admin, "admin")
    admin.goto("/admin/notifications")
    expect(admin.locator("h1")).to_have_text("通知投递")
    row = admin.locator("#failed-deliveries tbody tr").first
    expect(row).to_contain_text("dingtalk://")
    expect(row).to_contain_text("Apprise")
    fits(admin, device, "the failed deliveries")
    admin.screenshot(path=str(folder(device) / "06-failed-deliveries.png"), full_page=True)
