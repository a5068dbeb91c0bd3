"""The task page: the form rendered on the server from its JSON Schema, submission, and refusals."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from test_pages_support import APPROVE, hidden, nothing_stored, post, text, walk_to
from walks_support import name_of

from xianfeng.engine.kernel import Kernel

Login = Callable[[str], FlaskClient]


def test_the_approval_page_shows_instructions_data_form_history_and_diagram(
    kernel: Kernel, login: Login
) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    page = login("committee").get(f"/tasks/{task.id}")
    body = text(page)
    assert page.status_code == 200
    assert "<h1>镇党委审批</h1>" in body and "请审阅党支部报送的材料" in body  # name, instructions
    assert "李志强（治安村党支部 · 东风村）" in body and "96.0" in body  # candidate and scores
    assert 'type="radio" name="decision" value="return"' in body and "退回修改" in body
    assert '<textarea id="f-opinion" name="opinion" minlength="2" maxlength="1000" required' in body
    assert hidden(body, "expected_version") == str(task.instance_version)
    assert "（治安村党支部书记）" in body and "secretary1" not in body  # history: names, not accounts
    assert (
        "支部确定名单" in body and "<dt>列入示范岗名单：</dt><dd>是</dd>" in body
    )  # answers by their labels
    assert 'data-processes="approval"' in body and f"/instances/{walk.instance_id}/diagram.json" in body


def test_the_task_page_speaks_english_on_request(kernel: Kernel, login: Login) -> None:
    task = walk_to(kernel, "decision").task_of("committee", "Task_committee_decision")
    body = text(login("committee").get(f"/tasks/{task.id}?lang=en"))
    assert "<h1>Town committee approval</h1>" in body
    assert "Return for revision" in body and "Approval opinion" in body and "History" in body
    assert "> 退回修改</label>" not in body  # option labels follow the language


def test_fields_are_drawn_by_type_and_widget(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    evaluation = text(login("member2").get(f"/tasks/{walk.task_of('member2', 'Task_member_evaluation').id}"))
    assert 'name="political" value="5"' in evaluation and "优秀" in evaluation  # integer enum as radios
    assert '<textarea id="f-comment" name="comment" maxlength="500"' in evaluation
    walk.evaluate()
    walk.pass_notice()
    consent = text(login("member1").get(f"/tasks/{walk.task_of('member1', 'Task_consent').id}"))
    assert 'name="willing" value="true"' in consent and 'name="willing" value="false"' in consent
    assert "愿意承担时必填" in consent  # the conditional requirement is explained


def test_submitting_completes_the_task_and_redirects_to_the_inbox(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    client = login("committee")
    response = post(client, f"/tasks/{task.id}", {**APPROVE, "expected_version": task.instance_version})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    inbox = text(client.get("/inbox"))
    assert "已提交：镇党委审批" in inbox and "流程已办结：示范岗设立" in inbox
    assert walk.show()["outcome"] == "established"
    with nothing_stored(kernel):
        again = post(client, f"/tasks/{task.id}", {**APPROVE, "expected_version": task.instance_version})
    body = text(again)  # a double submit says who did it, and links to the case
    assert again.status_code == 409 and "该事项已由 committee 于" in body and "办理完毕" in body
    assert f'href="/instances/{walk.instance_id}"' in again.get_data(as_text=True)


def test_an_invalid_form_comes_back_with_each_message_and_the_values_entered(
    kernel: Kernel, login: Login
) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    client = login("committee")
    data = {"decision": "return", "opinion": "材料不全，请补充", "expected_version": task.instance_version}
    with nothing_stored(kernel):
        response = post(client, f"/tasks/{task.id}", data)
    body = text(response)
    assert response.status_code == 422
    assert "退回理由：当“审批决定”为“退回修改”时必填" in body  # the if/then rule, inline
    assert 'id="err-return_reasons"' in body and 'aria-invalid="true"' in body
    assert ">材料不全，请补充</textarea>" in body  # the opinion typed is kept
    assert 'name="decision" value="return" checked' in body


def test_form_messages_are_english_on_an_english_page(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "consent")
    task = walk.task_of("member1", "Task_consent")
    client = login("member1")
    data = {"willing": "true", "pledge": "  ", "expected_version": task.instance_version}
    with nothing_stored(kernel):
        response = post(client, f"/tasks/{task.id}?lang=en", data)
    assert response.status_code == 422
    assert "is required when &#39;Willing to take on the post&#39; is yes" in text(response)


def test_a_stale_page_is_refused_with_409(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    client = login("committee")
    with nothing_stored(kernel):
        response = post(
            client, f"/tasks/{task.id}", {**APPROVE, "expected_version": task.instance_version - 1}
        )
    assert response.status_code == 409 and "内容已被他人更新" in text(response)


def test_another_branchs_task_is_refused_with_403(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    other = login("secretary2")
    assert other.get(f"/tasks/{task.id}").status_code == 403
    data = {"include": "true", "responsibilities": "负责村便民服务站日常工作。"}
    with nothing_stored(kernel):
        response = post(other, f"/tasks/{task.id}", {**data, "expected_version": task.instance_version})
    assert response.status_code == 403 and "您没有权限执行此操作" in text(response)


def test_a_post_without_csrf_token_or_version_is_refused_with_400(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    client = login("committee")
    with nothing_stored(kernel):
        no_token = client.post(
            f"/tasks/{task.id}", data={**APPROVE, "expected_version": task.instance_version}
        )
        no_version = post(client, f"/tasks/{task.id}", APPROVE)
    assert no_token.status_code == 400 and "CSRF" in text(no_token)
    assert no_version.status_code == 400


def test_an_unknown_task_is_404_and_signed_out_users_go_to_sign_in(client: FlaskClient, login: Login) -> None:
    assert login("committee").get("/tasks/no-such-task").status_code == 404
    response = client.get("/tasks/no-such-task")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_an_assigned_task_names_the_person_not_the_account(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    task = walk.task_of("member2", "Task_member_evaluation")
    body = text(login("member2").get(f"/tasks/{task.id}"))
    assert f"指定：{name_of(kernel, 'member2')}" in body and "指定：member2" not in body
