"""历史回放 in real Chromium, on a desktop screen and on a phone: an auditor opens a case's history
from the case page, goes back to the first event, steps forward and jumps to a later one, and the
diagram's markers and the data table change with each step."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, DESKTOP, MOBILE, PASSWORD, Device, LiveServer
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from support import CreationWalk

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Each device's case nominates another member of branch 1, so the runs share the server.
CANDIDATES = {DESKTOP.name: "member9", MOBILE.name: "member10"}


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


def evaluated_case(server: LiveServer, candidate: str) -> int:
    """A nomination whose three members and five villagers have all evaluated: 9 events."""
    walk = CreationWalk(server.kernel, candidate=candidate)
    walk.start()
    walk.evaluate()
    return walk.instance_id


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_have_attribute("title", username)


def fits(page: Page, device: Device) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner == device.width, f"the history page is {width} px wide at {inner} px"


def shot(page: Page, device: Device, name: str) -> Path:
    folder = ARTIFACTS / "history" / str(device.width)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def marker(page: Page, element: str, kind: str) -> Locator:
    return page.locator(f'#diagram .djs-element.{kind}[data-element-id="{element}"]')


def data_rows(page: Page) -> list[str]:
    return [
        row.strip() for row in page.locator("#data table.data-fields").first.locator("tr").all_inner_texts()
    ]


def test_an_auditor_steps_through_a_case_and_sees_the_diagram_and_data_change(
    context: BrowserContext, live_server: LiveServer, device: Device
) -> None:
    instance_id = evaluated_case(live_server, CANDIDATES[device.name])
    page = context.new_page()
    sign_in(page, "auditor")
    page.goto(f"/instances/{instance_id}")
    page.get_by_role("link", name=re.compile("历史回放")).click()
    expect(page).to_have_url(re.compile(rf"/instances/{instance_id}/history$"))
    expect(page.locator(".stepper .position")).to_have_text("第 9 / 9 步")

    page.get_by_label("跳转到事件").select_option("1")
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(r"/history\?at=1$"))
    expect(page.locator("#event h2")).to_have_text("第 1 号事件：发起 · 支部酝酿讨论，推荐候选人")
    expect(marker(page, "Task_member_evaluation", "current")).to_have_count(1)
    expect(marker(page, "Start_nomination", "done")).to_have_count(1)
    expect(marker(page, "Gateway_notice_wait", "current")).to_have_count(0)
    expect(page.locator("#waiting")).to_contain_text("待 5 位群众通过链接填写")
    first_data = data_rows(page)
    assert not any("member_score" in row for row in first_data), first_data
    fits(page, device)
    shot(page, device, "01-first-event")

    page.get_by_role("link", name="下一步 →").click()
    expect(page.locator(".stepper .position")).to_have_text("第 2 / 9 步")
    expect(page.locator("#event")).to_contain_text("党员测评")
    page.get_by_label("跳转到事件").select_option("9")
    page.get_by_role("button", name="查看").click()
    expect(page.locator(".stepper .position")).to_have_text("第 9 / 9 步")
    expect(marker(page, "Gateway_notice_wait", "current")).to_have_count(1)
    expect(marker(page, "Task_member_evaluation", "current")).to_have_count(0)
    expect(page.locator("#waiting")).to_contain_text("公示期间")
    later_data = data_rows(page)
    assert later_data != first_data
    assert any("member_score" in row and "本步变更" in row for row in later_data), later_data
    fits(page, device)
    shot(page, device, "02-notice-published")
