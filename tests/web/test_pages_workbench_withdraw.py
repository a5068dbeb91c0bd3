"""撤回 (issue 13, part A): the one who started a case may withdraw it until someone else has acted,
where its diagram allows it (`withdrawable` on the start event); the case ends withdrawn, in one
chained event that verify replays. The engine runs the step once its runtime knows the kind
"withdraw" (asked of the runtime's owner); until then the rule is checked and nothing is offered."""

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
RUNS = pytest.mark.skipif(
    not withdraw.engine_can_withdraw(),
    reason="the runtime has no 'withdraw' step kind yet (asked of its owner)",
)


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
    assert _why_not(kernel, "secretary1", walk.instance_id) in (
        "",
        "this engine does not run withdrawals yet",
    )
    walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    assert _why_not(kernel, "secretary1", walk.instance_id) == "someone else has acted on it already"
    with nothing_stored(kernel), pytest.raises(NotAllowed, match="cannot be withdrawn"):
        withdraw.withdraw(kernel, actor(kernel, "secretary1"), walk.instance_id, "支部重新研究")


def test_withdrawal_is_offered_only_where_it_would_be_taken(kernel: Kernel, login: Login) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    page = text(login("secretary1").get(f"/instances/{walk.instance_id}"))
    assert ('id="withdraw"' in page) == withdraw.engine_can_withdraw()
    assert 'id="withdraw"' not in text(login("committee").get(f"/instances/{walk.instance_id}"))


@RUNS
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
