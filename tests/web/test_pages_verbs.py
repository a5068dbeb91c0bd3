"""Approver verbs through the task and instance pages: each shown only when offered, each one POST."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from nomination_support import add_deputy
from support import actor
from test_pages_support import hidden, nothing_stored, post, text, walk_to

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import inbox

Login = Callable[[str], FlaskClient]


def test_return_sends_the_case_back_to_an_earlier_step(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    client = login("secretary1")
    page = text(client.get(f"/tasks/{task.id}"))
    assert f'action="/tasks/{task.id}/return"' in page and '<option value="Task_consent">本人确认意愿' in page
    version = hidden(page, "expected_version")
    with nothing_stored(kernel):
        stale = post(
            client,
            f"/tasks/{task.id}/return",
            {"target": "Task_consent", "reason": "请补充承诺内容", "expected_version": int(version) - 1},
        )
        short = post(
            client,
            f"/tasks/{task.id}/return",
            {"target": "Task_consent", "reason": "补", "expected_version": version},
        )
    assert stale.status_code == 409 and short.status_code == 422 and "不符合办理规则" in text(short)
    data = {"target": "Task_consent", "reason": "请补充承诺内容", "expected_version": version}
    response = post(client, f"/tasks/{task.id}/return", data)
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    assert walk.task_of("member1", "Task_consent")
    assert "请补充承诺内容" in text(client.get(f"/instances/{walk.instance_id}"))  # in the history


def test_transfer_hands_the_task_to_another_member(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "determine")
    add_deputy(kernel, "deputy1", branch_id=1)
    task = walk.task_of("secretary1", "Task_determine_list")
    client = login("secretary1")
    response = post(client, f"/tasks/{task.id}/transfer", {"username": "deputy1", "reason": "出差在外"})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    assert "已转办给 deputy1" in text(client.get("/inbox"))
    assert walk.task_of("deputy1", "Task_determine_list").id == task.id
    assert "转办给您" in text(login("deputy1").get("/notifications"))


def test_delegation_comes_back_to_its_owner_with_an_opinion(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    committee = login("committee")
    post(committee, f"/tasks/{task.id}/delegate", {"username": "secretary2", "reason": "请提出意见"})
    delegate = login("secretary2")
    page = text(delegate.get(f"/tasks/{task.id}"))
    assert f"/tasks/{task.id}/resolve" in page and 'id="form"' not in page and "/transfer" not in page
    response = post(delegate, f"/tasks/{task.id}/resolve", {"opinion": "材料齐全，建议批准"})
    assert response.status_code == 302
    page = text(committee.get(f"/tasks/{task.id}"))
    assert 'id="form"' in page and "受委派人已交还" in page and "材料齐全，建议批准" in page


def test_co_signers_sign_before_the_task_can_be_completed(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    committee = login("committee")
    response = post(
        committee, f"/tasks/{task.id}/signers", {"usernames": "secretary1, member5", "reason": "请会签"}
    )
    assert response.headers["Location"] == f"/tasks/{task.id}"
    page = text(committee.get(f"/tasks/{task.id}"))
    assert 'id="form"' not in page and "加签人全部签署后方可办理" in page and "待签署" in page
    for signer in ("secretary1", "member5"):
        client = login(signer)
        assert f"/tasks/{task.id}/sign" in text(client.get(f"/tasks/{task.id}"))
        assert post(client, f"/tasks/{task.id}/sign", {"opinion": "同意"}).status_code == 302
    assert 'id="form"' in text(committee.get(f"/tasks/{task.id}"))


def test_copy_from_the_task_and_from_the_instance(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    committee = login("committee")
    post(
        committee,
        f"/tasks/{task.id}/copy",
        {"instance_id": walk.instance_id, "usernames": "member5", "note": "请知悉"},
    )
    post(
        committee, f"/instances/{walk.instance_id}/copy", {"usernames": "member6、member7", "note": "供参考"}
    )
    assert "请知悉" in text(login("member5").get("/inbox/copies"))
    assert "供参考" in text(login("member7").get("/inbox/copies"))
    with nothing_stored(kernel):
        assert post(committee, f"/tasks/{task.id}/copy", {"usernames": "member5"}).status_code == 400
        assert (
            post(committee, f"/instances/{walk.instance_id}/copy", {"usernames": "nobody"}).status_code == 404
        )


def test_urging_from_the_instance_page_notifies_and_is_limited(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    task = walk.task_of("member2", "Task_member_evaluation")
    secretary = login("secretary1")
    assert f"/tasks/{task.id}/urge" in text(secretary.get(f"/instances/{walk.instance_id}"))
    response = post(secretary, f"/tasks/{task.id}/urge", {"note": "请尽快测评", "back": "instance"})
    assert response.headers["Location"] == f"/instances/{walk.instance_id}"
    assert "请尽快测评" in text(login("member2").get("/notifications"))
    with nothing_stored(kernel):
        again = post(secretary, f"/tasks/{task.id}/urge", {"note": "再催", "back": "instance"})
    assert again.status_code == 422


def test_verbs_are_shown_only_when_offered(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    task = walk.task_of("member2", "Task_member_evaluation")
    page = text(login("member2").get(f"/tasks/{task.id}"))
    assert "/copy" in page and "/urge" not in page and '/sign"' not in page
    # An evaluation is the evaluator's own: its diagram lets it be copied and urged, never handed on.
    assert "/transfer" not in page and "/delegate" not in page and "/signers" not in page
    assert "/return" not in page  # the evaluation has nowhere to return to
    assert len(inbox.tasks_for(kernel, actor(kernel, "member2"))) == 1


def test_a_verb_without_csrf_token_is_refused(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    task = walk.task_of("member2", "Task_member_evaluation")
    with nothing_stored(kernel):
        response = login("member2").post(
            f"/tasks/{task.id}/transfer", data={"username": "member5", "reason": "出差在外"}
        )
    assert response.status_code == 400
