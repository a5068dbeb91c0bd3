"""An auditor proves what happened, in real Chromium (issue 8's walk): finds the lapsed and the
rejected nominations of a year among the cases, steps through one case's history and sees the
diagram and the data change, runs verify after a post's row was edited behind the system's back
and sees exactly that row reported, and downloads the post's evidence dossier, whose PDF holds the
plate number, the committee's approval and the chain head it was made at."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_support import ARTIFACTS, DESKTOP, PASSWORD, LiveServer
from pdf_support import pdf_text
from playwright.sync_api import Browser, BrowserContext, Page, expect
from support import CreationWalk

from xianfeng.engine.journal.capture import CHAINED_OPTION
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ModelPost
from xianfeng.engine.services import timers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FORGED = "被改动的岗位名称"


@dataclass(frozen=True)
class Year:
    lapsed: int
    rejected: int
    established: int
    post_id: int
    plate_no: str
    title: str


def _past(kernel: Kernel, walk: CreationWalk) -> None:
    """Move the shared clock past the case's next timer (never back) and fire what is due."""
    due = min(t["due_at"] for t in walk.show()["timers"])
    if kernel.clock.now() <= due:
        kernel.clock.set(due + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    timers.tick(kernel)


def _through_the_notice(kernel: Kernel, walk: CreationWalk) -> None:
    walk.start()
    walk.evaluate()
    for _round in range(3):  # the evaluation's deadline where there is one, then the notice's end
        if any(t["name"] == "本人确认意愿" for t in walk.show()["ready_tasks"]):
            break
        _past(kernel, walk)
    walk.consent()
    walk.determine()


@pytest.fixture(scope="module")
def year(live_server: LiveServer) -> Iterator[Year]:
    """In the third branch (other browser tests use the first two): a nomination left to lapse,
    one rejected by the committee, one established."""
    kernel = live_server.kernel
    lapsed = CreationWalk(kernel, "secretary3", "member21", ("member22", "member23", "member24"))
    lapsed.start()
    _past(kernel, lapsed)  # the evaluation period ends with nothing evaluated
    lapsed.complete("secretary3", {"extend": False, "reason": "人数不足，不再延长"}, "Task_extend_evaluation")
    rejected = CreationWalk(kernel, "secretary3", "member25", ("member26", "member27", "member28"))
    _through_the_notice(kernel, rejected)
    assert rejected.decide("reject").outcome == "rejected"
    established = CreationWalk(kernel, "secretary3", "member29", ("member22", "member23", "member24"))
    _through_the_notice(kernel, established)
    assert established.decide("approve").outcome == "established"
    post_id = int(established.show()["data"]["post"]["post_id"])
    with kernel.db.engine.connect() as connection:
        plate, title = connection.execute(
            sa.select(ModelPost.plate_no, ModelPost.title).where(ModelPost.id == post_id)
        ).one()
    yield Year(lapsed.instance_id, rejected.instance_id, established.instance_id, post_id, plate, title)
    _set_title(kernel, post_id, title)


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    made = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": DESKTOP.width, "height": DESKTOP.height}, base_url=live_server.url, locale="zh-CN"
    )
    made.set_default_timeout(20_000)
    yield made
    made.close()


def test_an_auditor_proves_what_happened(
    live_server: LiveServer, context: BrowserContext, year: Year
) -> None:
    page = context.new_page()
    _sign_in(page, "auditor")
    _finds_the_lapsed_and_the_rejected(page, year)
    _steps_through_the_history(page, year)
    _set_title(live_server.kernel, year.post_id, FORGED)
    try:
        _verify_reports_the_edited_row(page, year)
    finally:
        _set_title(live_server.kernel, year.post_id, year.title)
    _downloads_the_dossier(page, year)


def _finds_the_lapsed_and_the_rejected(page: Page, year: Year) -> None:
    page.goto("/instances")
    expect(page.locator("h1")).to_contain_text("案件")
    page.locator("#f-procedure").select_option("model_post_creation")
    page.locator("#f-outcome").select_option("evaluation_lapsed")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("table tbody tr")
    expect(rows.filter(has_text=str(year.lapsed)).first).to_be_visible()
    expect(page.locator(f'a[href="/instances/{year.rejected}"]')).to_have_count(0)
    _shot(page, "01-lapsed")
    page.locator("#f-outcome").select_option("rejected")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator(f'a[href="/instances/{year.rejected}"]').first).to_be_visible()
    expect(page.locator(f'a[href="/instances/{year.lapsed}"]')).to_have_count(0)
    _shot(page, "02-rejected")


def _steps_through_the_history(page: Page, year: Year) -> None:
    page.goto(f"/instances/{year.established}/history?at=1")
    diagram = page.locator("#diagram .djs-container").first
    expect(diagram).to_be_visible()
    first_data = page.locator("#data").inner_text()
    first_marks = page.locator("#diagram .diagrams").get_attribute("data-marks")
    page.get_by_role("link", name="下一步 →").click()
    expect(page).to_have_url(re.compile(r"history\?at=2$"))
    page.locator("#pick-event").select_option(index=8)
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(r"history\?at=9$"))
    expect(page.locator("#diagram .djs-container").first).to_be_visible()
    assert page.locator("#diagram .diagrams").get_attribute("data-marks") != first_marks
    assert page.locator("#data").inner_text() != first_data
    _shot(page, "03-history")


def _verify_reports_the_edited_row(page: Page, year: Year) -> None:
    page.goto("/audit/verify")
    page.get_by_label("全链：全部案件").check()
    page.get_by_role("button", name="开始核验").click()
    expect(page).to_have_url(re.compile(r"/audit/verify/\d+$"))
    expect(page.locator("#verdict")).to_contain_text("发现问题", timeout=120_000)
    rows = page.locator("#findings tr.finding")
    expect(rows).to_have_count(1)
    for words in ("model_post", "title", year.title, FORGED):
        expect(rows.first).to_contain_text(words)
    expect(rows.first.locator("td").nth(1)).to_contain_text(str(year.post_id))
    _shot(page, "04-verify")


def _downloads_the_dossier(page: Page, year: Year) -> None:
    page.goto(f"/posts/{year.post_id}")
    with page.expect_download() as download:
        page.locator("#evidence").get_by_role("link", name="PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    text = " ".join(pdf_text(pdf).split())
    head = download.value.suggested_filename
    assert year.plate_no in text, text[:500]
    assert "审批" in text and "镇党委" in text and "经党委会研究" in text
    assert re.search(r"[0-9a-f]{64}", text.replace(" ", "")), "the chain head is printed"
    assert head.endswith(".pdf")


def _set_title(kernel: Kernel, post_id: int, title: str) -> None:
    """Change the post's title as someone holding the database would: no event records it."""
    with kernel.db.engine.begin() as connection:
        connection.execute(
            sa.update(ModelPost)
            .where(ModelPost.id == post_id)
            .values(title=title)
            .execution_options(**{CHAINED_OPTION: True})
        )


def _sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_have_attribute("title", username)


def _shot(page: Page, name: str) -> None:
    folder = ARTIFACTS / "audit"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
