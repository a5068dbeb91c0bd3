"""Accounts kept by administrators (SQLite and PostgreSQL): created with a temporary password that
must be changed at the first sign-in, reset, disabled (at once, what waited for it handed over,
except its holder's own tasks such as an evaluation, which stay) and enabled; people change their
own password. No password, hash or token reaches the log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from admin_support import (
    account,
    admin,
    asked_to_co_sign,
    assert_verifies,
    case_events,
    new_member,
    org_events,
    signers_of,
    tasks_assigned,
)
from support import GOOD, CreationWalk, actor, table_contents

from xianfeng.engine.cli_support import OPERATOR
from xianfeng.engine.errors import NotAllowed, NotAuthenticated, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import User
from xianfeng.engine.services import accounts
from xianfeng.engine.services.admin import accounts_admin, passwords
from xianfeng.engine.services.admin.accounts_admin import AccountSpec


def _version(kernel: Kernel, username: str) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(
            uow.session.execute(
                sa.select(User.credentials_version).where(User.username == username)
            ).scalar_one()
        )


def test_a_new_account_signs_in_with_its_temporary_password_which_must_then_be_changed(
    backend: Kernel,
) -> None:
    new_member(backend, "ZA-M99", "赵新华")
    spec = AccountSpec("zhao.xh", "", ["member"], None, "ZA-M99")
    issued = accounts_admin.create_account(backend, admin(backend), spec)
    assert len(issued.temporary_password) == 12
    row = issued.account
    assert (row.username, row.display_name, row.roles, row.branch_id, row.member_code) == (
        "zhao.xh",
        "赵新华",
        ["member"],
        1,
        "ZA-M99",
    )
    assert row.must_change_password
    who = accounts.authenticate(backend, "zhao.xh", issued.temporary_password)
    assert who.must_change_password and who.branch_id == 1

    passwords.change_own(backend, who, None, "我的新密码2026")
    again = accounts.authenticate(backend, "zhao.xh", "我的新密码2026")
    assert not again.must_change_password
    with pytest.raises(NotAuthenticated):
        accounts.authenticate(backend, "zhao.xh", issued.temporary_password)
    _member, created, changed = [e for e in org_events(backend) if e["kind"] in ("member", "account")]
    assert created["payload"]["action"] == "created" and created["payload"]["member"] == "ZA-M99"
    assert created["actor"] == "admin" and created["role"] == "admin"
    assert changed["payload"] == {"action": "password_changed", "username": "zhao.xh"}
    assert changed["actor"] == "zhao.xh"
    for event in (created, changed):
        assert issued.temporary_password not in event["raw"] and "我的新密码2026" not in event["raw"]
        assert account(backend, "zhao.xh").password_hash not in event["raw"]
    assert_verifies(backend, replay=False)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (AccountSpec("ab", "", ["member"], None, "ZA-M99"), "3–64"),
        (AccountSpec("member1", "", ["committee"]), "exists already"),
        (AccountSpec("newone", "", []), "roles must be"),
        (AccountSpec("newone", "", ["king"]), "roles must be"),
        (AccountSpec("newone", "", ["member"]), "stands for a member"),
        (AccountSpec("newone", "", ["branch"]), "needs its branch"),
        (AccountSpec("newone", "", ["committee"], "1"), "town-wide"),
        (AccountSpec("newone", "", ["member"], None, "ZA-M01"), "has the account member1"),
        (AccountSpec("newone", "", ["member"], "2", "ZA-M99"), "is a member of"),
        (AccountSpec("newone", "", ["member"], None, "NOPE"), "no member with the code"),
        (AccountSpec("newone", "", ["branch"], "ZZ"), "no branch"),
    ],
)
def test_an_account_that_breaks_a_rule_is_refused_and_nothing_is_stored(
    kernel: Kernel, spec: AccountSpec, message: str
) -> None:
    new_member(kernel, "ZA-M99")
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match=message) as refused:
        accounts_admin.create_account(kernel, admin(kernel), spec)
    assert refused.value.params["zh"]
    assert table_contents(kernel) == before


def test_a_branch_given_by_code_scopes_a_secretary_account(kernel: Kernel) -> None:
    issued = accounts_admin.create_account(
        kernel, admin(kernel), AccountSpec("zhiwei2", "支委", ["branch"], "ZA-B2")
    )
    assert (issued.account.branch_id, issued.account.branch) == (2, "红星嘎查党支部")


def test_a_reset_ends_every_session_and_token_and_asks_for_a_new_password(backend: Kernel) -> None:
    user_id = account(backend, "member1").id
    version = _version(backend, "member1")
    assert accounts.signed_in(backend, user_id, version) is not None
    issued = accounts_admin.reset_password(backend, admin(backend), "member1", "本人忘记密码，电话核实")
    assert accounts.signed_in(backend, user_id, version) is None  # sessions and tokens made before
    with pytest.raises(NotAuthenticated):
        accounts.authenticate(backend, "member1", "demo12345")
    assert accounts.authenticate(backend, "member1", issued.temporary_password).must_change_password
    (event,) = org_events(backend, "account")
    assert event["payload"] == {
        "action": "password_reset",
        "username": "member1",
        "reason": "本人忘记密码，电话核实",
    }
    assert issued.temporary_password not in event["raw"]
    assert_verifies(backend, replay=False)


def test_a_reset_without_a_reason_is_refused(kernel: Kernel) -> None:
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match="needs a reason"):
        accounts_admin.reset_password(kernel, admin(kernel), "member1", " ")
    assert table_contents(kernel) == before


def test_a_disabled_account_stops_at_once_its_evaluation_stays_and_its_co_signature_is_handed_over(
    backend: Kernel,
) -> None:
    signed = asked_to_co_sign(
        backend, "member2", candidate="member5", evaluators=("member3", "member4", "member7")
    )
    walk = CreationWalk(backend, candidate="member1", evaluators=("member2", "member3", "member4"))
    walk.start()
    evaluation = walk.task_of("member2", "Task_member_evaluation")
    user = account(backend, "member2")
    version = _version(backend, "member2")
    detail = accounts_admin.account_detail(backend, admin(backend), user.id)
    assert sorted(i.what for i in detail.waiting) == ["personal", "signature"] and detail.needs_receiver
    before = case_events(backend, walk.instance_id)
    done = accounts_admin.disable_account(backend, admin(backend), "member2", "长期外出，暂停使用")
    assert [(d["what"], d["to"], d["instance_id"]) for d in done] == [
        ("signature", "secretary1", signed.instance_id)
    ]
    assert accounts.signed_in(backend, user.id, version) is None
    assert accounts.signed_in(backend, user.id) is None
    with pytest.raises(NotAuthenticated):
        accounts.authenticate(backend, "member2", "demo12345")
    assert [t.id for t in tasks_assigned(backend, "member2")] == [evaluation.id]  # nobody else's to answer
    assert case_events(backend, walk.instance_id) == before
    assert signers_of(backend, signed.instance_id) == ["secretary1"]
    accounts_admin.enable_account(backend, admin(backend), "member2", "本人返回")
    assert accounts.authenticate(backend, "member2", "demo12345").username == "member2"
    walk.complete("member2", dict(GOOD), "Task_member_evaluation")  # back in time: theirs to answer
    events = org_events(backend, "account")
    kinds = [(e["payload"]["action"], e["payload"]["reason"]) for e in events]
    assert kinds == [("disabled", "长期外出，暂停使用"), ("enabled", "本人返回")]
    assert (events[0]["payload"]["handed_over"], events[0]["payload"]["handed_over_to"]) == (1, "secretary1")
    assert_verifies(backend)


def test_an_account_only_its_own_evaluation_waits_for_is_disabled_without_a_receiver(kernel: Kernel) -> None:
    walk = CreationWalk(kernel, candidate="member1", evaluators=("member2", "member3", "member4"))
    walk.start()
    detail = accounts_admin.account_detail(kernel, admin(kernel), account(kernel, "member2").id)
    assert [i.what for i in detail.waiting] == ["personal"]
    assert (detail.needs_receiver, detail.choices) == (False, [])
    before = case_events(kernel, walk.instance_id)
    assert accounts_admin.disable_account(kernel, admin(kernel), "member2", "长期外出，暂停使用") == []
    (event,) = org_events(kernel, "account")
    assert (event["payload"]["handed_over"], event["payload"]["handed_over_to"]) == (0, None)
    assert [t.instance_id for t in tasks_assigned(kernel, "member2")] == [walk.instance_id]
    assert case_events(kernel, walk.instance_id) == before


def test_the_last_administrator_and_ones_own_account_are_not_disabled(kernel: Kernel) -> None:
    with pytest.raises(RuleViolation, match="their own account"):
        accounts_admin.disable_account(kernel, admin(kernel), "admin", "测试")
    with pytest.raises(RuleViolation, match="last active administrator"):
        accounts_admin.disable_account(kernel, OPERATOR, "admin", "测试")
    accounts_admin.create_account(kernel, admin(kernel), AccountSpec("admin2", "", ["admin"]))
    accounts_admin.disable_account(kernel, OPERATOR, "admin", "交接给新管理员")
    assert not account(kernel, "admin").active


def test_an_account_change_records_what_changed_and_why(backend: Kernel) -> None:
    user_id = account(backend, "member5").id
    spec = AccountSpec("member5", "", ["branch", "member"], None, "ZA-M05")
    assert accounts_admin.update_account(backend, admin(backend), user_id, spec, "担任支部委员") == ["roles"]
    assert sorted(accounts.actor_for(backend, "member5").roles) == ["branch", "member"]
    (event,) = org_events(backend, "account")
    assert event["payload"]["changes"] == {"roles": [["member"], ["branch", "member"]]}
    assert accounts_admin.update_account(backend, admin(backend), user_id, spec, "再次保存") == []
    assert len(org_events(backend, "account")) == 1  # nothing changed: nothing recorded
    assert_verifies(backend, replay=False)


def test_an_accounts_branch_does_not_change_under_its_open_tasks(kernel: Kernel) -> None:
    CreationWalk(kernel, candidate="member1", evaluators=("member2", "member3", "member4")).start()
    spec = AccountSpec("member2", "", ["member"], None, "")
    before = table_contents(kernel)
    with pytest.raises(RuleViolation):
        accounts_admin.update_account(kernel, admin(kernel), account(kernel, "member2").id, spec, "调整")
    assert table_contents(kernel) == before


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short", "at least 8"),
        ("secretary1", "not be the username"),
        ("SECRETARY1", "not be the username"),
        ("demo12345", "differ"),
    ],
)
def test_a_new_password_that_breaks_the_rules_is_refused(kernel: Kernel, new: str, message: str) -> None:
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match=message):
        passwords.change_own(kernel, actor(kernel, "secretary1"), "demo12345", new)
    assert table_contents(kernel) == before


def test_changing_ones_password_needs_the_current_one_unless_it_is_temporary(kernel: Kernel) -> None:
    with pytest.raises(RuleViolation, match="not right"):
        passwords.change_own(kernel, actor(kernel, "member1"), "wrong-password", "新的密码很长很长")
    with pytest.raises(RuleViolation, match="give the current password"):
        passwords.change_own(kernel, actor(kernel, "member1"), None, "新的密码很长很长")
    passwords.change_own(kernel, actor(kernel, "member1"), "demo12345", "新的密码很长很长")
    assert accounts.authenticate(kernel, "member1", "新的密码很长很长").username == "member1"


def test_only_administrators_manage_accounts_and_the_committee_reads_them(kernel: Kernel) -> None:
    assert len(accounts_admin.list_accounts(kernel, actor(kernel, "committee"))) == 36
    assert accounts_admin.list_accounts(kernel, actor(kernel, "auditor"), role="admin")[0].username == "admin"
    with pytest.raises(NotAllowed):
        accounts_admin.list_accounts(kernel, actor(kernel, "secretary1"))
    with pytest.raises(NotAllowed):
        accounts_admin.create_account(
            kernel, actor(kernel, "committee"), AccountSpec("x123", "", ["auditor"])
        )
    with pytest.raises(NotAllowed):
        accounts_admin.reset_password(kernel, actor(kernel, "secretary1"), "member1", "忘记密码")
