"""A model post created in real Chromium, on a desktop screen and on a phone: the secretary
nominates through the start form, three members evaluate on their task pages, five villagers
answer their single-use links without an account, the notice period runs out, the nominee
consents, the branch determines the list, the committee approves, and the post is in the register
with its plate number. Along the way: the bpmn-js diagram is drawn with its markers, Chinese text
shows, and on the phone the inbox, task and survey pages do not scroll sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_support import (
    DESKTOP,
    MOBILE,
    Device,
    LiveServer,
    Person,
    Walk,
    choose,
    established_plate,
    pass_the_notice,
    person,
)
from playwright.sync_api import Browser, Page, expect

from xianfeng.engine.services import audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HAN = re.compile(r"^[\u4e00-\u9fff]+$")
GOOD = {"political": "5", "work": "5", "service": "4", "conduct": "5", "discipline": "5"}
# Each device nominates a different member of branch 1 (治安村党支部), so the runs share a server.
CAST = {
    DESKTOP.name: ("member1", ("member2", "member3", "member4")),
    MOBILE.name: ("member5", ("member6", "member7", "member8")),
}


@pytest.fixture(params=[DESKTOP, MOBILE], ids=lambda d: f"{d.name}-{d.width}")
def walk(request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer) -> Iterator[Walk]:
    device: Device = request.param
    run = Walk(browser, live_server, device)
    yield run
    run.close()


def nominate(walk: Walk, candidate: Person, evaluators: list[Person]) -> tuple[Page, int, str]:
    page = walk.sign_in("secretary1")
    walk.fits(page, "the secretary's inbox")
    walk.shot(page, "inbox-secretary")
    page.get_by_role("link", name="发起提名").click()
    expect(page).to_have_url(re.compile(r"/processes/model_post_creation/start$"))
    expect(page.locator("h1")).to_have_text("支部酝酿讨论与提名")
    page.get_by_label("候选党员").select_option(label=candidate.label)
    page.get_by_label("示范岗名称").fill("便民服务示范岗")
    page.get_by_label("关键岗位").check()
    page.get_by_label("酝酿讨论日期").fill("2026-11-20")
    page.get_by_label("支部酝酿讨论情况").fill("支部党员大会酝酿讨论，一致推荐该同志。")
    for evaluator in evaluators:
        page.locator("#field-member_evaluators").get_by_label(evaluator.label).check()
    page.get_by_label("群众测评人数").fill("5")
    walk.fits(page, "the start form")
    walk.shot(page, "start-form")
    page.get_by_role("button", name="发起").click()

    expect(page).to_have_url(re.compile(r"/instances/\d+$"))
    expect(page.locator(".flash.success")).to_contain_text("已发起")
    instance_id = int(page.url.rsplit("/", 1)[1])
    title = page.locator("h1").inner_text().strip()
    assert candidate.name in title, title
    expect(page.locator("header.card .facts")).to_contain_text("进行中")
    expect(page.locator("#waiting")).to_contain_text("待 5 位群众通过链接填写")
    expect(page.locator("#links")).to_contain_text("共 5 个未使用的一次性链接")
    walk.fits(page, "the instance page")
    walk.shot(page, "instance-started")
    return page, instance_id, title


def survey_tokens(walk: Walk, secretary: Page, instance_id: int) -> list[str]:
    """The single-use links, as the secretary prints them; the instance page lists the same."""
    listed = secretary.locator('#links a[href^="/s/"]').evaluate_all("els => els.map(e => e.pathname)")
    secretary.get_by_role("link", name="打印二维码").click()
    expect(secretary).to_have_url(re.compile(rf"/instances/{instance_id}/links/print$"))
    expect(secretary.locator("h1")).to_have_text("群众测评二维码")
    codes = secretary.locator(".qr-grid figure.qr")
    expect(codes).to_have_count(5)
    drawn = secretary.locator(".qr img").evaluate_all("imgs => imgs.map(i => i.complete && i.naturalWidth)")
    assert all(width and width > 100 for width in drawn), f"QR codes not drawn: {drawn}"
    printed = re.findall(r"/s/([A-Za-z0-9_-]+)", secretary.locator(".qr-grid").inner_text())
    walk.fits(secretary, "the printable links")
    walk.shot(secretary, "links-print")
    assert len(set(printed)) == 5
    assert sorted(f"/s/{t}" for t in printed) == sorted(listed)
    return printed


def evaluate_as_member(walk: Walk, evaluator: Person, candidate: Person, title: str, first: bool) -> None:
    page = walk.sign_in(evaluator.username)
    walk.open_task(page, "党员测评", title, shot="inbox-member" if first else "")
    # The diagram: bpmn-js draws an SVG per process and marks what is done and what waits now —
    # here the member evaluation itself, and the call activity of the evaluation in the main process.
    diagram = page.locator("#diagram .diagrams")
    expect(diagram.locator("svg").first).to_be_visible()
    expect(diagram.locator('.djs-element.current[data-element-id="Task_member_evaluation"]')).to_be_attached()
    expect(diagram.locator('.djs-element.current[data-element-id="Call_evaluation"]')).to_be_attached()
    expect(diagram.locator('.djs-element.done[data-element-id="Start_nomination"]')).to_be_attached()
    expect(diagram.locator(".djs-element.current .djs-visual text").first).to_have_text(HAN)
    if walk.device.width < 600:  # a phone: readable size in a sideways-scrolling box, at the current step
        current = '.djs-element.current[data-element-id="Task_member_evaluation"]'
        step = diagram.locator(current).bounding_box()
        box = diagram.locator(".diagram-scroll.phone").first.bounding_box()
        assert step is not None and box is not None and step["width"] >= 60, step
        assert box["x"] <= step["x"] and step["x"] + step["width"] <= box["x"] + box["width"], (step, box)
        assert box["y"] <= step["y"] and step["y"] + step["height"] <= box["y"] + box["height"], (step, box)
    # Chinese text from the templates, the form file and the case's data.
    expect(page.locator("#diagram h2")).to_have_text("流程图")
    expect(page.locator("#data dl")).to_contain_text(f"候选人{candidate.name}（治安村党支部")
    expect(page.locator("#form h2")).to_have_text("示范岗候选人测评")
    expect(page.locator("#field-political legend")).to_contain_text("政治素质优，带头学习提高")
    walk.fits(page, "the task page")
    if first:
        page.locator("#diagram").scroll_into_view_if_needed()
        walk.shot(page, "task-member-evaluation")
    for field, score in GOOD.items():
        choose(page, field, score)
    walk.submit_task(page, "党员测评")
    expect(page.locator("tbody tr").filter(has_text=title)).to_have_count(0)


def evaluate_as_villagers(walk: Walk, tokens: list[str], title_hint: str) -> None:
    for number, token in enumerate(tokens):
        page = walk.page()  # a villager: no account, a phone or a PC, just the link
        page.goto(f"/s/{token}")
        expect(page.locator("header .who")).to_have_count(0)
        expect(page.locator("h1")).to_have_text("群众测评")
        expect(page.locator(".lead")).to_contain_text(title_hint)
        expect(page.locator("body")).to_contain_text("只能提交一次")
        walk.fits(page, "the survey page")
        if number == 0:
            walk.shot(page, "survey")
        for field, score in GOOD.items():
            choose(page, field, score)
        page.get_by_role("button", name="提交测评").click()
        # The last answer tallies, decides and puts the notice up: give a loaded machine time.
        expect(page).to_have_url(re.compile(r"/public/thanks$"), timeout=30_000)
        expect(page.locator("h1")).to_have_text("提交成功，感谢您的参与！")
        if number == 0:
            walk.shot(page, "survey-thanks")
            again = page.goto(f"/s/{token}")
            assert again is not None and again.status == 410, "a used link must not open again"
            expect(page.locator("body")).to_contain_text("该链接无效、已使用或已过期")


def notice_runs_out(walk: Walk, instance_id: int, candidate: Person) -> None:
    """The evaluation passed: the notice is on the public board; then its period passes."""
    board = walk.page()
    board.goto("/public/notices")
    notice = board.locator("article.notice").filter(has_text=f"党员示范岗测评结果公示：{candidate.name}")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("还剩 5 个工作日")
    walk.fits(board, "the notice board")
    walk.shot(board, "notice-board")

    pass_the_notice(walk.server, instance_id)
    board.reload()
    expect(board.locator("article.notice").filter(has_text=candidate.name)).to_have_count(0)


def consent_list_and_approve(walk: Walk, secretary: Page, candidate: Person, title: str) -> Page:
    nominee = walk.sign_in(candidate.username)
    walk.open_task(nominee, "本人确认意愿", title)
    choose(nominee, "willing", "true")
    nominee.get_by_label("承诺").fill("我愿意承担示范岗职责，带头服务群众。")
    walk.submit_task(nominee, "本人确认意愿")

    walk.open_task(secretary, "支部确定名单", title)
    choose(secretary, "include", "true")
    # The post's title the nomination gave is carried over, shown but not asked again.
    expect(secretary.locator("#field-post_title .readonly-value")).to_have_text("便民服务示范岗")
    secretary.get_by_label("岗位职责").fill("负责村便民服务站日常工作，每周两次入户走访。")
    walk.submit_task(secretary, "支部确定名单")

    committee = walk.sign_in("committee")
    walk.open_task(committee, "镇党委审批", title)
    walk.shot(committee, "task-committee-decision")
    choose(committee, "decision", "approve")
    committee.get_by_label("审批意见").fill("经党委会研究，同意设立。")
    walk.submit_task(committee, "镇党委审批")
    expect(committee.locator(".flash.success").nth(1)).to_have_text("流程已办结：示范岗设立")
    return committee


def register_lists(walk: Walk, committee: Page, candidate: Person, instance_id: int) -> None:
    plate = established_plate(walk.server, instance_id)
    assert re.fullmatch(r"ZA-SFG-2026-\d{4}", plate), plate
    committee.get_by_role("link", name="示范岗台账").click()
    expect(committee.locator("h1")).to_have_text("示范岗台账")
    row = committee.locator("tbody tr").filter(has_text=candidate.name)
    expect(row).to_have_count(1)
    expect(row.locator('td[data-label="牌号"]')).to_have_text(plate)
    expect(row.locator('td[data-label="示范岗名称"]')).to_have_text("便民服务示范岗")
    expect(row.locator('td[data-label="党支部"]')).to_have_text("治安村党支部")
    expect(row.locator('td[data-label="类别"]')).to_have_text("关键岗位")
    expect(row.locator('td[data-label="状态"]')).to_have_text("有效")
    walk.fits(committee, "the register")
    walk.shot(committee, "register")


def test_a_model_post_is_created_in_the_browser(walk: Walk, live_server: LiveServer) -> None:
    candidate_name, evaluator_names = CAST[walk.device.name]
    candidate = person(live_server, candidate_name)
    evaluators = [person(live_server, u) for u in evaluator_names]

    secretary, instance_id, title = nominate(walk, candidate, evaluators)
    tokens = survey_tokens(walk, secretary, instance_id)
    for number, evaluator in enumerate(evaluators):
        evaluate_as_member(walk, evaluator, candidate, title, first=number == 0)
    evaluate_as_villagers(walk, tokens, candidate.name)
    notice_runs_out(walk, instance_id, candidate)
    committee = consent_list_and_approve(walk, secretary, candidate, title)
    register_lists(walk, committee, candidate, instance_id)

    secretary.goto(f"/instances/{instance_id}")
    expect(secretary.locator("header.card .facts")).to_contain_text("已办结（示范岗设立）")
    expect(secretary.locator("#history")).to_contain_text("经党委会研究，同意设立。")
    expect(secretary.locator("#diagram .djs-element.done").first).to_be_attached()
    expect(secretary.locator("#diagram .djs-element.current")).to_have_count(0)
    walk.shot(secretary, "instance-completed")
    assert audit.verify(live_server.kernel).ok
