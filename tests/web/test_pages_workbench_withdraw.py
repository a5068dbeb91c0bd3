"""撤回 (issue 13, part A): the one who started a case may withdraw it until someone else has acted,
where its diagram allows it (`withdrawable` on the start event); the case ends withdrawn, in one
chained event that verify replays. The runtime runs it as a step of its own
kind ("withdraw"), which ends every open task as a cancellation does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from support import GOOD, CreationWalk, actor
from test_pages_support import nothing_stored, post, text

from xianfeng.engine.errors import NotAllowed
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ProcessInstance
from xianfeng.engine.services import audit, withdraw

Login = Callable[[str], FlaskClient]


def _why_not(kernel: Kernel, username: str, instance_id: int) -> str:
    with kernel.db.unit_of_work(write=False) as uow:
        instance = uow.session.get(ProcessInstance, instance_id)
        assert instance is not None
        return withdraw.why_not(uow.session, kernel, actor(kernel, username), instance)


def test_only_the_starter_may_withdraw_and_only_until_someone_else_acts(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    assert (
        _why_not(kernel, "secretary2", walk.instance_id) == "only the one who started a case may withdraw it"
    )
    assert (
        _why_not(kernel, "committee", walk.instance_id) == "only the one who started a case may withdraw it"
    )
    assert _why_not(kernel, "secretary1", walk.instance_id) == ""
    walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    assert _why_not(kernel, "secretary1", walk.instance_id) == "someone else has acted on it already"
    with nothing_stored(kernel), pytest.raises(NotAllowed, match="cannot be withdrawn"):
        withdraw.withdraw(kernel, actor(kernel, "secretary1"), walk.instance_id, "支部重新研究")


def test_withdrawal_is_offered_only_where_it_would_be_taken(kernel: Kernel, login: Login) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    page = text(login("secretary1").get(f"/instances/{walk.instance_id}"))
    assert 'id="withdraw"' in page
    assert 'id="withdraw"' not in text(login("committee").get(f"/instances/{walk.instance_id}"))


def test_the_starter_withdraws_a_case_it_ends_withdrawn_and_verifies(kernel: Kernel, login: Login) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    secretary = login("secretary1")
    with nothing_stored(kernel):
        assert post(secretary, f"/instances/{walk.instance_id}/withdraw", {"reason": " "}).status_code == 422
    done = post(secretary, f"/instances/{walk.instance_id}/withdraw", {"reason": "支部重新研究后撤回"})
    assert done.status_code == 302
    shown = walk.show()
    assert shown["status"] == "withdrawn" and shown["outcome"] == "withdrawn" and shown["ready_tasks"] == []
    assert walk.public_tokens() == []
    page = text(secretary.get(f"/instances/{walk.instance_id}"))
    assert "已撤回" in page and ">撤回<" in page and "支部重新研究后撤回" in page
    assert audit.verify(kernel).ok


def test_the_api_withdraws_for_the_starter_only_and_refusals_store_nothing(
    kernel: Kernel, client: FlaskClient, token: Callable[[str], dict[str, str]]
) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    path = f"/api/v1/instances/{walk.instance_id}/withdraw"
    refusals = [
        ("secretary1", {"reason": "x"}, 422),  # too short a reason
        ("secretary1", {"reason": "支部重新研究", "extra": 1}, 422),  # an unknown field
        ("secretary2", {"reason": "支部重新研究"}, 403),  # another branch's case
        ("committee", {"reason": "支部重新研究"}, 403),  # not its starter
    ]
    for username, body, status in refusals:
        with nothing_stored(kernel):
            response = client.post(path, headers=token(username), json=body)
        assert response.status_code == status, (username, body, response.get_json())
    assert (
        client.post(
            "/api/v1/instances/999999/withdraw", headers=token("secretary1"), json={"reason": "支部重新研究"}
        ).status_code
        == 404
    )
    done = client.post(path, headers=token("secretary1"), json={"reason": "支部重新研究后撤回"})
    assert done.status_code == 200
    body = done.get_json()
    assert body["instance_id"] == walk.instance_id and body["event_seq"] > 0
    assert body["notified"] == len(walk.evaluators)  # each chosen evaluator held a task of it
    assert walk.show()["status"] == "withdrawn"
    with nothing_stored(kernel):
        again = client.post(path, headers=token("secretary1"), json={"reason": "支部重新研究后撤回"})
    assert again.status_code == 403 and "withdrawn" in again.get_json()["message"]
    assert audit.verify(kernel).ok
