"""The inbox tabs and the navigation counts, and batch approval (批量审批) of like tasks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from flask.testing import FlaskClient
from support import actor
from test_pages_support import nothing_stored, post, text, walk_to

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import registers, verbs

Login = Callable[[str], FlaskClient]


def _two_decisions(kernel: Kernel) -> list[str]:
    first = walk_to(kernel, "decision")
    second = walk_to(kernel, "decision", candidate="member5", evaluators=("member6", "member7", "member8"))
    return [w.task_of("committee", "Task_committee_decision").id for w in (first, second)]


def test_the_inbox_lists_tasks_with_due_date_role_and_count(kernel: Kernel, login: Login) -> None:
    walk_to(kernel, "evaluation")
    client = login("member2")
    body = text(client.get("/inbox"))
    assert "党员示范岗创建：李志强（便民服务示范岗）" in body and "党员测评" in body
    assert "2026-12-09 24:00" in body and "本人" in body  # due at the end of the day; assigned to me
    assert re.search(r"待办 <span class=\"badge\"[^>]*>1</span>", body)
    assert "已逾期" not in body
    kernel.clock.set(dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC))  # type: ignore[attr-defined]
    assert "已逾期" in text(client.get("/inbox"))


def test_the_tabs_speak_english_on_request(kernel: Kernel, login: Login) -> None:
    walk_to(kernel, "evaluation")
    body = text(login("member2").get("/inbox?lang=en"))
    assert "To do" in body and "Started by me" in body and "Copied to me" in body and "Due" in body
    assert "Evaluation by a member" in body  # the task's English name


def test_done_started_copies_and_signing_tabs(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    verbs.copy_to(kernel, actor(kernel, "committee"), walk.instance_id, ["member5"], "请知悉")
    verbs.add_signers(kernel, actor(kernel, "committee"), task.id, ["secretary1"], "请会签")
    done = text(login("member2").get("/inbox/done"))
    assert "党员测评" in done and "办理" in done and "进行中" in done
    started = text(login("secretary1").get("/inbox/started"))
    assert "李志强" in started and "镇党委审批" in started  # where the case waits
    copies = login("member5")
    page = text(copies.get("/inbox/copies"))
    assert "请知悉" in page and "未读" in page and "committee" not in page.split("<main")[0]
    assert re.search(r"抄送我的 <span class=\"badge\"[^>]*>1</span>", page)
    signer = login("secretary1")
    nav = text(signer.get("/inbox/signing"))
    assert (
        "请会签" in nav and f"/tasks/{task.id}" in nav and 'href="/inbox/signing"' in nav.split("</nav>")[0]
    )
    assert 'href="/inbox/signing"' not in text(copies.get("/inbox")).split("</nav>")[0]  # nothing to sign


def test_only_approval_tasks_can_be_ticked_for_a_batch(kernel: Kernel, login: Login) -> None:
    walk_to(kernel, "determine", candidate="member9")  # one running nomination per member
    assert 'name="task_id"' not in text(login("secretary1").get("/inbox"))
    ids = _two_decisions(kernel)
    body = text(login("committee").get("/inbox"))
    assert all(f'name="task_id" value="{task_id}"' in body for task_id in ids) and "批量提交" in body


def test_a_batch_approves_each_ticked_task_and_says_so(kernel: Kernel, login: Login) -> None:
    ids = _two_decisions(kernel)
    client = login("committee")
    data = {"task_id": ids, "decision": "approve", "opinion": "经党委会研究，同意设立。"}
    response = post(client, "/inbox/batch", data)
    body = text(response)
    assert response.status_code == 200 and body.count("已办理（示范岗设立）") == 2
    assert len(registers.posts(kernel, actor(kernel, "committee"))) == 2


def test_a_batch_reports_the_task_it_could_not_complete(kernel: Kernel, login: Login) -> None:
    ids = _two_decisions(kernel)
    verbs.add_signers(kernel, actor(kernel, "committee"), ids[1], ["secretary1"], "请会签")
    data = {"task_id": ids, "decision": "reject", "opinion": "经党委会研究，不予批准。"}
    body = text(post(login("committee"), "/inbox/batch", data))
    assert "已办理（不予批准）" in body and "不符合办理规则" in body
    assert not registers.posts(kernel, actor(kernel, "committee"))


def test_a_batch_without_an_opinion_stores_nothing_and_says_why(kernel: Kernel, login: Login) -> None:
    ids = _two_decisions(kernel)
    client = login("committee")
    with nothing_stored(kernel):
        body = text(post(client, "/inbox/batch", {"task_id": ids, "decision": "approve", "opinion": ""}))
        empty = post(client, "/inbox/batch", {"decision": "approve", "opinion": "同意"})
    assert body.count("审批意见：此项为必填项") == 2
    assert empty.status_code == 302 and "请至少勾选一项待办" in text(client.get("/inbox"))


def test_the_start_page_is_the_inbox(kernel: Kernel, login: Login) -> None:
    walk_to(kernel, "evaluation")
    body = text(login("member2").get("/"))
    assert "党员测评" in body and 'href="/inbox" class="active" aria-current="page"' in body
