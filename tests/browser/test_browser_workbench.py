"""The workbench in real Chromium, on a desktop screen (1280 px) and on a phone (375 px), as the people
of a nomination use it (issue 13, part A): the secretary reads where a case stands during the
evaluation and during the notice, zooms its diagram and opens the called one; the committee chooses
co-signers with the person picker; a list sent back comes to the secretary filled in, with the
reason; the committee decides two nominations in one batch; the starter withdraws a case; and every
role reads its pages in one language. Screenshots go to test-artifacts/workbench/<width>/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_support import DESKTOP, MOBILE, PASSWORD, Device, LiveServer, served, town
from language_support import data_words, elsewhere, foreign, latin_data, read
from playwright.sync_api import Browser, BrowserContext, Page, expect
from support import GOOD, CreationWalk

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "workbench"
# Each device's cases nominate other members of branch 1 (one running nomination per member).
CAST = {
    DESKTOP.name: {
        "evaluating": "member1",
        "notice": "member2",
        "picker": "member3",
        "returned": "member4",
        "batch": ("member5",),
        "evaluators": ("member6", "member7", "member8"),
    },
    MOBILE.name: {
        "evaluating": "member6",
        "notice": "member7",
        "picker": "member8",
        "returned": "member9",
        "batch": ("member10",),
        "evaluators": ("member1", "member2", "member3"),
    },
}


@dataclass
class Cases:
    evaluating: int
    notice: int
    picker: int
    returned: int
    batch: list[int]
    fresh: int


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, Cases]]]:
    """Its own server and clock: cases at the committee's decision first (their notices pass), then
    those in notice and in evaluation, whose periods run from the moved clock."""
    kernel = town(tmp_path_factory.mktemp("workbench-server"))
    decided = {}
    for device, cast in CAST.items():
        walks = [
            _at_decision(kernel, candidate, cast["evaluators"])
            for candidate in (cast["picker"], cast["returned"], *cast["batch"])
        ]
        decided[device] = walks
    cases = {}
    for device, cast in CAST.items():
        noticed = CreationWalk(kernel, candidate=cast["notice"], evaluators=cast["evaluators"])
        noticed.start()
        noticed.evaluate()
        evaluating = CreationWalk(kernel, candidate=cast["evaluating"], evaluators=cast["evaluators"])
        evaluating.start()
        evaluating.complete(cast["evaluators"][0], dict(GOOD), "Task_member_evaluation")
        picker, returned, *batch = decided[device]
        cases[device] = Cases(
            evaluating.instance_id,
            noticed.instance_id,
            picker.instance_id,
            returned.instance_id,
            [w.instance_id for w in batch],
            0,
        )
    with served(kernel, "workbench", threads=4) as live:
        yield live, cases


def _at_decision(kernel: Any, candidate: str, evaluators: tuple[str, ...]) -> CreationWalk:
    walk = CreationWalk(kernel, candidate=candidate, evaluators=evaluators)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    return walk


class Desk:
    """One device's browsers: a context per person, sized like the device; screenshots kept."""

    def __init__(self, browser: Browser, live: LiveServer, device: Device) -> None:
        self.browser, self.live, self.device = browser, live, device
        self.folder = ARTIFACTS / str(device.width)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.contexts: list[BrowserContext] = []

    def sign_in(self, username: str, language: str = "zh-CN") -> Page:
        options: dict[str, object] = {
            "viewport": {"width": self.device.width, "height": self.device.height},
            "base_url": self.live.url,
            "locale": language,
        }
        if self.device.mobile:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        context = self.browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(20_000)
        self.contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.locator("header .who")).to_have_attribute("title", username)
        return page

    def shot(self, page: Page, name: str) -> None:
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)

    def fits(self, page: Page, what: str) -> None:
        """Nothing scrolls sideways on a phone."""
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{what} is {width} px wide at {inner} px"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(params=[DESKTOP, MOBILE], ids=lambda d: f"{d.name}-{d.width}")
def desk(
    request: pytest.FixtureRequest, browser: Browser, server: tuple[LiveServer, dict[str, Cases]]
) -> Iterator[tuple[Desk, Cases]]:
    live, cases = server
    made = Desk(browser, live, request.param)
    yield made, cases[request.param.name]
    made.close()


def diagram_ready(page: Page) -> None:
    expect(page.locator("#diagram .diagram svg").first).to_be_visible()
    expect(page.locator("#diagram .djs-element.current").first).to_be_attached()


def test_the_case_page_says_where_the_evaluation_stands(desk: tuple[Desk, Cases]) -> None:
    room, cases = desk
    page = room.sign_in("secretary1")
    page.goto(f"/instances/{cases.evaluating}")
    standing = page.locator("#waiting")
    expect(standing).to_contain_text("党员和群众测评中")
    expect(standing).to_contain_text("剩余 10 个工作日")
    expect(standing).to_contain_text(re.compile(r"党员测评：等待 \S+、\S+（1/3 已完成）"))
    expect(standing).to_contain_text("群众测评：待 5 位群众通过链接填写（0/5 已完成）")
    expect(standing.get_by_role("button", name=re.compile("^催办 "))).to_have_count(2)
    expect(page.locator("p.now")).to_contain_text("党员和群众测评中")
    diagram_ready(page)
    # The call activity is current; its diagram opens below with the member evaluation current.
    expect(page.locator('.djs-element.current[data-element-id="Call_evaluation"]')).to_be_attached()
    page.get_by_role("button", name="打开子流程图：党员和群众测评").click()
    called = page.locator(".called-area .diagram[data-process='nominee_evaluation']")
    expect(called.locator('.djs-element.current[data-element-id="Task_member_evaluation"]')).to_be_attached()
    # Lanes are named in the reader's words, not by role code.
    lanes = page.locator(".called-area .djs-element[data-element-id^='Lane_'] text")
    expect(lanes.first).to_have_text(re.compile("^(党员|群众)$"))
    _zooms(page, room.device)
    room.fits(page, "the case page during the evaluation")
    page.locator("#waiting").scroll_into_view_if_needed()
    room.shot(page, "case-during-evaluation")


def _zooms(page: Page, device: Device) -> None:
    """The zoom buttons change the diagram's scale; on a desktop the labels open readable."""
    box = page.locator("#diagram .diagram-frame").first

    def size() -> float:
        found = box.locator('.djs-element[data-element-id="Call_evaluation"]').bounding_box()
        assert found is not None
        return float(found["width"])

    before = size()
    if not device.mobile:
        assert before >= 70, f"a step is {before} px wide: too small to read"
        expect(box.locator(".djs-minimap")).to_be_attached()
    box.get_by_role("button", name="放大").click()
    page.wait_for_timeout(300)
    assert size() > before * 1.1
    box.get_by_role("button", name="适合窗口").click()


def test_the_case_page_during_the_notice_says_until_when(desk: tuple[Desk, Cases]) -> None:
    room, cases = desk
    page = room.sign_in("secretary1")
    page.goto(f"/instances/{cases.notice}")
    expect(page.locator("p.now")).to_have_text(
        re.compile(r"^测评结果公示中，\d{4}-\d{2}-\d{2} 截止，剩余 5 个工作日$")
    )
    diagram_ready(page)
    expect(page.locator('.djs-element.current[data-element-id="Call_public_notice"]')).to_be_attached()
    history = page.locator("#history")
    expect(history.locator("td.op").first).to_have_text("发起")
    expect(history).to_contain_text("个人测评内容不向您显示")
    if not room.device.mobile:  # time and step on one line each at 1280 px
        for cell in ("td.when", "td.step"):
            lines = history.locator(cell).evaluate_all(LINES)
            assert max(lines) <= 1, f"{cell} wraps: {lines}"
    room.fits(page, "the case page during the notice")
    room.shot(page, "case-during-notice")


def test_the_committee_chooses_co_signers_by_name(desk: tuple[Desk, Cases]) -> None:
    room, cases = desk
    page = room.sign_in("committee")
    page.goto(f"/instances/{cases.picker}")
    page.locator("#waiting").get_by_role("link", name="去办理").click()
    expect(page.locator("h1")).to_have_text("镇党委审批")
    page.locator("#verbs summary", has_text="加签").click()
    picker = page.locator("#verbs details[open] [data-picker]")
    picker.get_by_role("searchbox").fill("黄德")
    match = picker.get_by_role("option", name=re.compile("黄德胜"))
    expect(match).to_contain_text("治安村党支部")
    expect(match).to_contain_text("党支部")
    room.fits(page, "the picker")
    room.shot(page, "picker-results")
    match.click()
    expect(picker.locator(".picker-chip")).to_contain_text("黄德胜")
    page.locator("#verbs details[open] textarea[name=reason]").fill("请支部书记一同会签")
    page.locator("#verbs details[open]").get_by_role("button", name="加签").click()
    expect(page.locator(".flash.success")).to_contain_text("已加签")
    expect(page.locator("#signers")).to_contain_text("黄德胜")
    room.shot(page, "picker-signed")


def test_a_returned_list_comes_back_filled_in_with_the_reason(desk: tuple[Desk, Cases]) -> None:
    room, cases = desk
    committee = room.sign_in("committee")
    committee.goto(f"/instances/{cases.returned}")
    committee.locator("#waiting").get_by_role("link", name="去办理").click()
    committee.locator('input[name="decision"][value="return"]').check()
    committee.get_by_label("审批意见").fill("材料需要补充。")
    committee.get_by_label("退回理由").fill("岗位职责不够具体，请补充服务时间。")
    committee.locator("#form").get_by_role("button", name="提交").click()
    expect(committee).to_have_url(re.compile(r"/inbox$"))

    secretary = room.sign_in("secretary1")
    secretary.goto(f"/instances/{cases.returned}")
    secretary.locator("#waiting").get_by_role("link", name="去办理").click()
    banner = secretary.locator("#returned")
    expect(banner).to_contain_text("此事项被退回，请修改后重新提交")
    expect(banner).to_contain_text("岗位职责不够具体，请补充服务时间。")
    expect(secretary.locator("#field-post_title .readonly-value")).to_have_text("便民服务示范岗")
    duties = secretary.get_by_label("岗位职责与服务承诺")
    expect(duties).to_have_value("负责村便民服务站日常工作，每周两次入户走访。")
    room.fits(secretary, "the returned task")
    room.shot(secretary, "returned-task-filled-in")
    duties.fill("负责村便民服务站日常工作，每周二、四上午入户走访。")
    secretary.locator("#form").get_by_role("button", name="提交").click()
    expect(secretary).to_have_url(re.compile(r"/inbox$"))
    secretary.goto(f"/instances/{cases.returned}")
    expect(secretary.locator("#history")).to_contain_text("每周二、四上午入户走访")
    room.shot(secretary, "returned-case-resubmitted")


def test_the_committee_decides_two_nominations_in_one_batch(desk: tuple[Desk, Cases]) -> None:
    room, cases = desk
    page = room.sign_in("committee")
    page.goto("/inbox")
    batch = page.locator("fieldset.batch")
    expect(batch.locator('input[name="decision"]:checked')).to_have_count(0)  # nothing decided for them
    page.get_by_label("全选可批量审批的事项").check()
    ticks = page.locator('input[name="task_id"]')
    assert ticks.count() >= 2 and all(t.is_checked() for t in ticks.all())
    rows = page.locator("tbody tr")
    expect(rows.first.locator(".key-facts")).to_contain_text("候选人")
    expect(rows.first.locator(".key-facts")).to_contain_text("测评结果")
    room.fits(page, "the inbox with batch approval")
    room.shot(page, "batch-approval")
    mine = {f"/instances/{i}" for i in cases.batch}
    for row in rows.all():  # decide this device's batch cases only: the other device decides its own
        link = row.locator("td a").first.get_attribute("href") or ""
        task_id = link.rsplit("/", 1)[-1]
        instance = _instance_of(room, task_id)
        if f"/instances/{instance}" not in mine:
            box = row.locator('input[name="task_id"]')
            if box.count():
                box.uncheck()
    expect(page.locator("input[data-select-all]")).to_have_js_property("indeterminate", True)
    batch.get_by_label("批准", exact=True).check()
    batch.get_by_label("审批意见").fill("经党委会研究，同意设立。")
    batch.get_by_role("button", name="批量提交").click()
    expect(page.locator("body")).to_contain_text("已办理")
    room.fits(page, "the batch result")
    room.shot(page, "batch-result")


def _instance_of(room: Desk, task_id: str) -> int:
    from sqlalchemy import select

    from xianfeng.engine.models import HumanTask

    with room.live.kernel.db.unit_of_work(write=False) as uow:
        found = uow.session.execute(select(HumanTask.instance_id).where(HumanTask.id == task_id)).scalar()
    return int(found or 0)


def test_the_starter_withdraws_a_case_nobody_else_has_touched(desk: tuple[Desk, Cases]) -> None:
    room, _cases = desk
    page = room.sign_in("secretary2")  # branch 1's members all have a nomination running here
    page.get_by_role("link", name="发起提名").click()
    page.get_by_label("候选党员").select_option(index=1 if not room.device.mobile else 2)
    page.get_by_label("示范岗名称").fill("党员先锋岗")
    page.get_by_label("关键岗位").check()
    page.get_by_label("酝酿讨论日期").fill("2026-11-20")
    page.get_by_label("支部酝酿讨论情况").fill("支部党员大会酝酿讨论，一致推荐该同志。")
    for evaluator in (3, 4, 5):
        page.locator("#field-member_evaluators input[type=checkbox]").nth(evaluator).check()
    page.get_by_label("群众测评人数").fill("5")
    page.get_by_role("button", name="发起").click()
    expect(page).to_have_url(re.compile(r"/instances/\d+$"))
    withdrawal = page.locator("#withdraw")
    withdrawal.locator("summary").click()
    withdrawal.get_by_label("撤回理由").fill("支部重新研究后撤回。")
    withdrawal.get_by_role("button", name="确认撤回").click()
    expect(page.locator(".flash.success")).to_contain_text("已撤回")
    expect(page.locator("header.card .facts")).to_contain_text("已撤回")
    expect(page.locator("#history")).to_contain_text("撤回")
    room.shot(page, "withdrawn")


# How many lines each cell's text takes.
LINES = """cells => cells.map(c => {
  const range = document.createRange(); range.selectNodeContents(c);
  return new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size;
})"""
NAMED_IN_DIAGRAMS = """() => Array.from(document.querySelectorAll(
  '.djs-element[data-element-id^="Lane_"] text, .djs-element[data-element-id^="Task_"] text'
)).map(t => t.textContent)"""
PAGES = {
    "secretary1": ["/inbox", "/inbox/done", "/inbox/started", "/notifications", "/posts", "/me"],
    "committee": ["/inbox", "/inbox/done", "/cases", "/stats", "/ledger"],
    "member1": ["/inbox", "/me", "/areas"],
    "auditor": ["/cases", "/audit/verify", "/admin"],
    "admin": ["/admin", "/admin/members", "/admin/processes"],
}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_role_reads_its_pages_in_one_language(desk: tuple[Desk, Cases], language: str) -> None:
    room, cases = desk
    kernel = room.live.kernel
    data, latin = data_words(kernel), latin_data(kernel)
    code = "en" if language == "en" else "zh_CN"
    problems: dict[str, list[str]] = {}
    for username, paths in PAGES.items():
        page = room.sign_in(username, language)
        if code == "en":  # the header's switch, kept in the session
            page.locator("form.lang").get_by_role("button", name="English").click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
        for path in [*paths, f"/instances/{cases.notice}", f"/instances/{cases.evaluating}"]:
            page.goto(path)
            if path.startswith("/instances/"):
                diagram_ready(page)
            # The page's words, and of its diagrams the names of lanes and steps (the diagrams give
            # the English names of their steps; other elements' labels are the diagrams' own).
            shown = [*read(page.content(), frozenset({"svg"})), *page.evaluate(NAMED_IN_DIAGRAMS)]
            wrong = foreign(shown, code, data, latin)
            if wrong and not elsewhere(path, wrong, kernel):
                problems[f"{path} as {username}"] = sorted(set(wrong))[:10]
        if username == "secretary1":
            room.shot(page, f"language-{code}-case")
    assert problems == {}, problems
