"""数据核验 in real Chromium: after a test has edited one post row behind the system's back, an auditor
starts verify for the whole chain, watches its progress end, and sees exactly that row reported —
on a desktop screen and on a phone, in Chinese and in English."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_support import ARTIFACTS, DESKTOP, MOBILE, PASSWORD, Device, LiveServer
from playwright.sync_api import Browser, BrowserContext, Page, expect
from support import CreationWalk

from xianfeng.engine.journal.capture import CHAINED_OPTION
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ModelPost, User, VerifyRun
from xianfeng.engine.services import timers
from xianfeng.engine.services.audit import verify_job

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FORGED = "伪造的示范岗名称"


@pytest.fixture(scope="module")
def post(live_server: LiveServer) -> Iterator[tuple[int, str, int]]:
    """A post of branch 2 established on the shared server: (its id, its title, its creation case).
    Other browser tests share the database, so the row is always put back as it was."""
    kernel = live_server.kernel
    walk = CreationWalk(kernel, "secretary2", "member15", ("member16", "member17", "member18"))
    walk.start()
    walk.evaluate()
    _past_the_notice(kernel, walk)
    walk.consent()
    walk.determine()
    walk.decide("approve")
    post_id = int(walk.show()["data"]["post"]["post_id"])
    with kernel.db.engine.connect() as connection:
        title = connection.execute(sa.select(ModelPost.title).where(ModelPost.id == post_id)).scalar_one()
    yield post_id, title, walk.instance_id
    _set_title(kernel, post_id, title)


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
    made.set_default_timeout(20_000)
    yield made
    made.close()


def test_an_auditor_runs_verify_and_sees_exactly_the_edited_post_row(
    live_server: LiveServer, context: BrowserContext, device: Device, post: tuple[int, str, int]
) -> None:
    post_id, title, case = post
    _set_title(live_server.kernel, post_id, FORGED)
    try:
        page = context.new_page()
        _sign_in(page, "auditor")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="数据核验").click()
        expect(page.locator("h1")).to_have_text("数据核验")
        _fits(page, device)
        _shot(page, device, "01-form")
        page.get_by_label("案件编号").fill(str(case))
        expect(page.get_by_label("指定案件")).to_be_checked()  # typing numbers chooses them
        page.get_by_label("案件编号").fill("")
        page.get_by_label("全链：全部案件").check()
        page.get_by_role("button", name="开始核验").click()

        expect(page).to_have_url(re.compile(r"/audit/verify/\d+$"))
        expect(page.locator("#verdict")).to_contain_text("发现问题", timeout=120_000)
        rows = page.locator("#findings tr.finding")
        expect(rows).to_have_count(1)
        row = rows.first
        for words in ("党员示范岗", "model_post", "title", title, FORGED):
            expect(row).to_contain_text(words)
        expect(row.locator("td").nth(1)).to_contain_text(str(post_id))
        expect(page.locator("#chain")).to_contain_text("✓")
        _fits(page, device)
        _shot(page, device, "02-report")

        with page.expect_download() as download:
            page.get_by_role("link", name="下载报告（文本）").click()
        report = Path(download.value.path()).read_text(encoding="utf-8")
        assert f"党员示范岗（model_post），键 {post_id}，列 title" in report

        page.get_by_role("button", name="English").click()
        expect(page.locator("#verdict")).to_contain_text("Problems found")
        expect(page.locator("#findings tr.finding").first).to_contain_text("Model post")
        _fits(page, device)
        _shot(page, device, "03-report-en")
        page.get_by_role("link", name="← All verify runs").click()
        expect(page.locator("table.verify-runs")).to_contain_text("Problems found")
        _fits(page, device)
        _shot(page, device, "04-runs-en")
        page.get_by_role("button", name="中文").click()
    finally:
        _set_title(live_server.kernel, post_id, title)


def test_the_progress_page_follows_a_run_until_its_verdict(
    live_server: LiveServer, context: BrowserContext, device: Device, post: tuple[int, str, int]
) -> None:
    """A run of a small town ends before anyone could watch it; this one is held at its start, so
    the page is seen polling its progress, and then run to its end while the page waits."""
    kernel = live_server.kernel
    _post_id, _title, case = post
    run_id = _queued_run(kernel, "committee", case)
    page = context.new_page()
    _sign_in(page, "committee")
    page.goto(f"/audit/verify/{run_id}")
    expect(page.locator("#run-count")).to_have_text("已处理 0 / 120")
    expect(page.locator("#run-progress")).to_have_attribute("max", "120")

    _moved(kernel, run_id, 90)
    expect(page.locator("#run-count")).to_have_text("已处理 90 / 120")
    expect(page.locator("#run-phase")).to_contain_text("回放案件")
    expect(page.locator("#run-status")).to_have_text("进行中")
    _fits(page, device)
    _shot(page, device, "05-progress")

    verify_job.execute(kernel, run_id)  # the job itself, run here: the page notices and reloads
    expect(page.locator("#verdict")).to_contain_text("通过")
    expect(page.locator("h1")).to_contain_text("已完成")
    expect(page.locator("#cases")).to_contain_text("✓ 回放一致的案件（1 件）")
    _fits(page, device)
    _shot(page, device, "06-one-case-ok")


def _queued_run(kernel: Kernel, username: str, case: int) -> int:
    with kernel.db.unit_of_work() as uow:
        user_id = uow.session.execute(sa.select(User.id).where(User.username == username)).scalar_one()
        now = kernel.clock.now()
        row = VerifyRun(
            requested_by=user_id,
            scope=json.dumps([case]),
            status="queued",
            events_total=120,
            events_done=0,
            started_at=now,
            updated_at=now,
            head_hash="",
            report=json.dumps({"progress": {"chain_events": 60, "seconds": 0.0}}),
            error="",
        )
        uow.session.add(row)
        uow.session.flush()
        run_id = row.id
        uow.commit()
    return run_id


def _moved(kernel: Kernel, run_id: int, done: int) -> None:
    """What the job's progress writer does: the count and its time, 3 seconds in."""
    with kernel.db.engine.begin() as connection:
        connection.execute(
            sa.update(VerifyRun)
            .where(VerifyRun.id == run_id)
            .values(
                status="running",
                events_done=done,
                updated_at=kernel.clock.now(),
                report=json.dumps({"progress": {"chain_events": 60, "seconds": 3.0}}),
            )
        )


def _past_the_notice(kernel: Kernel, walk: CreationWalk) -> None:
    """Move the shared clock past the notice's end (never back) and fire what is due."""
    due = min(t["due_at"] for t in walk.show()["timers"])
    if kernel.clock.now() <= due:
        kernel.clock.set(due + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    timers.tick(kernel)


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


def _fits(page: Page, device: Device) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner == device.width, f"{page.url} is {width} px wide at {inner} px"


def _shot(page: Page, device: Device, name: str) -> None:
    folder = ARTIFACTS / "verify" / str(device.width)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
