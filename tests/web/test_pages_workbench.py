"""The workbench's case and task pages say where a case stands and what happened, in people's words
(issue 13, part A): the current step with its deadline and working days left, the people who may
act by name, how many evaluators are done; a history with each operation, person, role, opinion and
labelled answers; a returned task that opens filled in with the reason it came back; batch
approval that decides nothing for the approver; the small things (favicon, no 催办 on one's own
task, no 抄送 offered to the auditor)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from conftest import csrf_of
from flask.testing import FlaskClient
from support import GOOD, CreationWalk, actor
from test_pages_support import nothing_stored, post, text, walk_to

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import tasks

Login = Callable[[str], FlaskClient]


def _section(page: str, element_id: str) -> str:
    return page.split(f'id="{element_id}"', 1)[1].split("</section>", 1)[0]


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_during_the_notice_the_case_says_so_with_its_end_and_working_days_left(
    kernel: Kernel, login: Login
) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    # The period ends at 00:00 of the day after its last working day, which is the day people read.
    ends = min(timer["due_at"] for timer in walk.show()["timers"]).astimezone(CHINA_TZ)
    last = ends.date() - dt.timedelta(days=1)
    page = text(login("secretary1").get(f"/instances/{walk.instance_id}"))
    standing = _plain(_section(page, "waiting"))
    assert f"测评结果公示中，{last} 截止，剩余 5 个工作日" in standing, standing
    assert f'<p class="now">测评结果公示中，{last} 截止' in page  # the header says it too


def test_during_the_evaluation_the_case_names_who_has_still_to_evaluate(kernel: Kernel, login: Login) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    page = text(login("secretary1").get(f"/instances/{walk.instance_id}"))
    standing = _plain(_section(page, "waiting"))
    assert "党员和群众测评中" in standing and "剩余 10 个工作日" in standing
    # member3 and member4 are 刘秀英 and 陈丽华: names, not accounts; member2 (张文明) is done.
    assert "党员测评：等待 刘秀英、陈丽华（1/3 已完成）" in standing, standing
    assert "群众测评：待 5 位群众通过链接填写（0/5 已完成）" in standing
    assert "member3" not in standing and "张文明" not in standing
    assert standing.count("催办 ") == 2  # one 催办 per evaluator still to answer


def test_a_task_open_to_a_role_names_the_accounts_of_that_role_in_the_cases_branch(
    kernel: Kernel, login: Login
) -> None:
    walk = walk_to(kernel, "determine")
    committee_view = _plain(
        _section(text(login("committee").get(f"/instances/{walk.instance_id}")), "waiting")
    )
    assert "支部确定名单：等待 黄德胜（治安村党支部书记）" in committee_view
    assert "高玉兰" not in committee_view  # the secretary of another branch may not act on it


def test_one_is_offered_to_do_ones_own_task_and_never_to_urge_it(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    secretary = login("secretary1")
    case = _section(text(secretary.get(f"/instances/{walk.instance_id}")), "waiting")
    assert f'href="/tasks/{task.id}">去办理</a>' in case and "/urge" not in case
    assert f"/tasks/{task.id}/urge" not in text(secretary.get(f"/tasks/{task.id}"))
    # The committee, who may not do it, may urge it.
    assert f"/tasks/{task.id}/urge" in text(login("committee").get(f"/instances/{walk.instance_id}"))


def test_the_history_says_what_was_done_by_whom_with_the_answers_under_their_labels(
    kernel: Kernel, login: Login
) -> None:
    walk = walk_to(kernel, "decision")
    walk.decide("return")
    history = _section(text(login("secretary1").get(f"/instances/{walk.instance_id}")), "history")
    rows = [_plain(row) for row in history.split("<tr")[2:]]
    started, *_rest, timer, consent, listed, returned = rows
    assert (
        "发起" in started
        and "黄德胜" in started
        and "党支部" in started
        and "示范岗名称： 便民服务示范岗" in started
    )
    assert "系统定时" in timer and "公示期满" in timer and "系统" in timer
    assert "提交" in consent and "本人确认意愿" in consent and "本人是否愿意承担示范岗： 是" in consent
    assert "列入示范岗名单： 是" in listed
    assert (
        "镇党委审批" in returned
        and "审批决定： 退回修改" in returned
        and "退回理由： 岗位职责不够具体，请补充" in returned
    )
    # The time and the step are kept on one line (at 1280 px), the table folds on a phone.
    assert 'class="responsive history-table"' in history and 'class="when"' in history


def test_scores_of_the_democratic_evaluation_are_withheld_from_those_who_may_not_read_them(
    kernel: Kernel, login: Login
) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    page = text(login("secretary1").get(f"/instances/{walk.instance_id}"))
    evaluation = next(row for row in _section(page, "history").split("<tr") if ">党员测评<" in row)
    assert "个人测评内容不向您显示" in evaluation and "政治素质" not in evaluation
    own = text(login("member2").get(f"/instances/{walk.instance_id}"))
    mine = next(row for row in _section(own, "history").split("<tr") if ">党员测评<" in row)
    assert "个人测评内容不向您显示" not in mine and "优秀" in mine  # the evaluator reads their own answers


def test_a_returned_task_opens_filled_in_with_the_reason_it_came_back(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    walk.decide("return")
    task = walk.task_of("secretary1", "Task_determine_list")
    page = text(login("secretary1").get(f"/tasks/{task.id}"))
    banner = _plain(_section(page, "returned"))
    assert "此事项被退回，请修改后重新提交" in banner and "岗位职责不够具体，请补充" in banner
    assert "镇党委（审批） 于" in banner and "在“镇党委审批”退回" in banner
    form = _section(page, "form")
    assert "负责村便民服务站日常工作，每周两次入户走访。</textarea>" in form  # what was submitted before
    assert 'name="include" value="true" checked' in form
    # The post's title is the nomination's, shown but not asked again.
    assert '<p class="readonly-value" aria-labelledby="f-post_title-label">便民服务示范岗</p>' in form
    assert '<input type="hidden" name="post_title" value="便民服务示范岗">' in form


def test_a_read_only_field_keeps_its_value_whoever_submits(kernel: Kernel) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    data = {"include": True, "post_title": "另一个名称", "responsibilities": "负责村便民服务站日常工作。"}
    from xianfeng.engine.errors import FormInvalid

    try:
        tasks.complete(kernel, actor(kernel, "secretary1"), task.id, data)
    except FormInvalid as refused:
        assert refused.errors_zh == {"post_title": "示范岗名称：此处不可修改，应为之前填写的“便民服务示范岗”"}
    else:
        raise AssertionError("a changed read-only field was accepted")
    data.pop("post_title")  # left out, it is filled in
    tasks.complete(kernel, actor(kernel, "secretary1"), task.id, data)
    assert walk.show()["data"]["post_title"] == "便民服务示范岗"


def test_batch_approval_decides_nothing_for_the_approver_and_shows_each_cases_facts(
    kernel: Kernel, login: Login
) -> None:
    first = walk_to(kernel, "decision")
    second = walk_to(kernel, "decision", candidate="member5", evaluators=("member6", "member7", "member8"))
    committee = login("committee")
    page = text(committee.get("/inbox"))
    assert (
        'name="decision" value="approve" required>' in page and "checked" not in page.split('class="batch')[1]
    )
    assert 'data-select-all="task_id"' in page and "/static/js/batch.js" in page
    facts = _plain(page)
    assert "候选人： 李志强（治安村党支部 · 东风村）" in facts and "候选人： 杨玉兰" in facts
    assert "测评结果： 通过" in facts and "党员测评平均分： 96.0" in facts
    ids = [first.task_of("committee").id, second.task_of("committee").id]
    with nothing_stored(kernel):
        undecided = post(
            committee, "/inbox/batch", {"task_id": ids, "opinion": "同意", "decision_asked": "1"}
        )
    assert undecided.status_code == 302
    assert "请选择审批决定" in text(committee.get("/inbox"))


def test_the_auditor_is_offered_no_copy_and_the_branch_a_picker_of_its_people(
    kernel: Kernel, login: Login
) -> None:
    walk = walk_to(kernel, "decision")
    auditor = text(login("auditor").get(f"/instances/{walk.instance_id}"))
    assert 'id="copy"' not in auditor
    secretary = text(login("secretary1").get(f"/instances/{walk.instance_id}"))
    copy = _section(secretary, "copy")
    assert 'data-picker data-many="1"' in copy and "张文明" in copy and "治安村党支部 · 党员" in copy
    assert "高玉兰" not in copy  # another branch's secretary may not read the case


def test_the_site_has_an_icon(client: FlaskClient) -> None:
    icon = client.get("/favicon.ico")
    assert (
        icon.status_code == 200 and icon.mimetype == "image/x-icon" and icon.data[:4] == b"\x00\x00\x01\x00"
    )


def test_an_unknown_page_and_a_bad_year_are_said_in_chinese(kernel: Kernel, login: Login) -> None:
    committee = login("committee")
    missing = committee.get("/no-such-page")
    assert missing.status_code == 404 and "找不到该页面" in text(missing) and "Not Found" not in text(missing)
    year = committee.get("/ledger?year=abc")
    assert year.status_code == 404 and "年份“abc”无效，请填写 2000 至 2100 之间的年份" in text(year)
    english = committee.get("/no-such-page?lang=en")
    assert "Page not found" in text(english)


def test_an_error_detail_is_in_the_pages_language(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    task = walk.task_of("member2", "Task_member_evaluation")
    chinese = text(login("member5").get(f"/tasks/{task.id}"))
    assert "您不能打开“党员测评”" in chinese and "cannot open task" not in chinese
    # In English the engine's message names the step in Chinese: the page says only what it can in English.
    english = text(login("member5").get(f"/tasks/{task.id}?lang=en"))
    assert "党员测评" not in english, english[english.find("党员测评") - 300 :]
    assert "You are not allowed to do this" in english


def test_a_page_posts_people_by_their_ids_and_names_them_back(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    committee = login("committee")
    response = committee.post(
        f"/instances/{walk.instance_id}/copy",
        data={
            "person": [str(actor(kernel, name).user_id) for name in ("member3", "member2")],
            "note": "请知悉",
            "csrf_token": csrf_of(committee, "/inbox"),
        },
    )
    assert response.status_code == 302
    assert "已抄送给 刘秀英、张文明" in text(committee.get(f"/instances/{walk.instance_id}"))
