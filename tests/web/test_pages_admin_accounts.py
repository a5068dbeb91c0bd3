"""账号 pages and 修改密码: an administrator opens an account and sees its temporary password once;
its holder can do nothing before choosing a new one; a reset and a disabling end every session and
token of the account at once; the committee reads, members are refused."""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from admin_support import account, asked_to_co_sign, assert_verifies, new_member, signers_of, tasks_assigned
from conftest import csrf_of
from flask import Flask
from flask.testing import FlaskClient
from support import CreationWalk
from test_pages_support import nothing_stored, post, text

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import User

Login = Callable[[str], FlaskClient]


def sign_in(app: Flask, username: str, password: str) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_of(client)}
    )
    assert response.status_code == 302, text(response)
    return client


def temporary_password(page: str) -> str:
    found = re.search(r'<p class="secret" id="temporary-password">([^<]+)</p>', page)
    assert found, "no temporary password on the page"
    return found.group(1)


def _open_account(client: FlaskClient, **fields: object) -> str:
    response = post(client, "/admin/accounts/new", fields, "/admin/accounts/new")
    assert response.status_code == 200, text(response)
    assert response.headers["Cache-Control"] == "no-store"
    return temporary_password(text(response))


def test_an_opened_account_must_choose_a_new_password_before_anything_else(
    app: Flask, kernel: Kernel, login: Login
) -> None:
    new_member(kernel, "ZA-M99", "赵新华")
    secret = _open_account(login("admin"), username="zhao.xinhua", roles=["member"], member="ZA-M99")
    holder = sign_in(app, "zhao.xinhua", secret)
    for path in ("/", "/inbox", "/posts", "/admin"):
        response = holder.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password", path
    page = text(holder.get("/account/password"))
    assert "您正在使用管理员给出的临时密码" in page and 'name="current"' not in page
    assert holder.get("/public/notices").status_code == 200  # the public board needs no account
    refused = post(
        holder, "/account/password", {"new": "zhao.xinhua", "repeat": "zhao.xinhua"}, "/account/password"
    )
    assert refused.status_code == 422 and "密码不能与用户名相同" in text(refused)
    differ = {"new": "新的密码足够长了1", "repeat": "新的密码足够长了2"}
    mismatch = post(holder, "/account/password", differ, "/account/password")
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in text(mismatch)
    same = {"new": "新的密码足够长了1", "repeat": "新的密码足够长了1"}
    done = post(holder, "/account/password", same, "/account/password")
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert holder.get("/inbox").status_code == 200  # the same session goes on
    assert sign_in(app, "zhao.xinhua", "新的密码足够长了1").get("/inbox").status_code == 200
    assert_verifies(kernel, replay=False)


def test_the_api_refuses_an_account_on_a_temporary_password(app: Flask, kernel: Kernel, login: Login) -> None:
    secret = _open_account(login("admin"), username="shenji2", roles=["auditor"])
    token = app.test_client().post("/api/v1/auth/token", json={"username": "shenji2", "password": secret})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    response = app.test_client().get("/api/v1/tasks", headers=headers)
    assert response.status_code == 403
    assert response.get_json()["details"]["reason"] == "password_change_required"


def test_an_account_that_breaks_a_rule_is_refused_on_the_form_and_nothing_is_stored(
    kernel: Kernel, login: Login
) -> None:
    admin = login("admin")
    with nothing_stored(kernel):
        response = post(
            admin, "/admin/accounts/new", {"username": "x9x", "roles": ["member"]}, "/admin/accounts/new"
        )
    assert response.status_code == 422
    assert "持有党员角色的账号须对应一名党员" in text(response)
    assert 'value="x9x"' in text(response) and 'value="member" checked' in text(response)


def test_a_reset_ends_the_holders_sessions_and_shows_the_new_password_once(
    app: Flask, kernel: Kernel, login: Login
) -> None:
    holder = login("member1")
    user_id = account(kernel, "member1").id
    admin = login("admin")
    with nothing_stored(kernel):
        assert (
            post(
                admin,
                f"/admin/accounts/{user_id}/password",
                {"username": "member1", "reason": ""},
                f"/admin/accounts/{user_id}",
            ).status_code
            == 422
        )
    response = post(
        admin,
        f"/admin/accounts/{user_id}/password",
        {"username": "member1", "reason": "本人忘记密码"},
        f"/admin/accounts/{user_id}",
    )
    assert response.status_code == 200 and "原密码已作废" in text(response)
    secret = temporary_password(text(response))
    assert holder.get("/inbox").headers["Location"].startswith("/login")
    assert sign_in(app, "member1", secret).get("/inbox").headers["Location"] == "/account/password"
    assert secret not in text(admin.get(f"/admin/accounts/{user_id}"))  # shown once, never again


def test_a_disabled_account_loses_its_session_and_token_at_once_and_only_what_may_be_handed_over_is(
    app: Flask, kernel: Kernel, login: Login
) -> None:
    signed = asked_to_co_sign(
        kernel, "member2", candidate="member5", evaluators=("member3", "member4", "member7")
    )
    walk = CreationWalk(kernel, candidate="member1", evaluators=("member2", "member3", "member4"))
    walk.start()
    evaluation = walk.task_of("member2", "Task_member_evaluation")
    holder = login("member2")
    token = app.test_client().post(
        "/api/v1/auth/token", json={"username": "member2", "password": "demo12345"}
    )
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    assert app.test_client().get("/api/v1/tasks", headers=bearer).status_code == 200
    user_id = account(kernel, "member2").id
    admin = login("admin")
    page = text(admin.get(f"/admin/accounts/{user_id}"))
    assert "以下事项等待该账号办理，停用时将交接" in page
    listed = page.split("以下事项等待该账号办理", 1)[1].split("</ul>", 1)[0]
    assert f"#{walk.instance_id}" in listed and "党员测评（本人办理的事项，不交接，到期按流程处理）" in listed
    assert f"#{signed.instance_id}" in listed and "支部确定名单（请其加签）" in listed
    assert '<option value="secretary1">' in page
    response = post(
        admin,
        f"/admin/accounts/{user_id}/disable",
        {"username": "member2", "reason": "长期外出", "handover_to": "secretary1"},
        f"/admin/accounts/{user_id}",
    )
    assert response.status_code == 302
    assert "已停用账号 member2，其会话和令牌即刻失效；1 项待办已交接" in text(
        admin.get(f"/admin/accounts/{user_id}")
    )
    assert holder.get("/inbox").headers["Location"].startswith("/login")
    assert app.test_client().get("/api/v1/tasks", headers=bearer).status_code == 401
    assert signers_of(kernel, signed.instance_id) == ["secretary1"]
    assert [t.id for t in tasks_assigned(kernel, "member2")] == [evaluation.id]
    assert_verifies(kernel)


def test_an_account_only_its_own_evaluation_waits_for_is_disabled_with_nobody_to_choose(
    kernel: Kernel, login: Login
) -> None:
    walk = CreationWalk(kernel, candidate="member1", evaluators=("member2", "member3", "member4"))
    walk.start()
    user_id = account(kernel, "member2").id
    admin = login("admin")
    page = text(admin.get(f"/admin/accounts/{user_id}"))
    assert "本人办理的事项，不交接，到期按流程处理" in page
    assert 'name="handover_to"' not in page and "没有可以接手这些事项的账号" not in page
    english = text(login("admin").get(f"/admin/accounts/{user_id}?lang=en"))
    assert "Their own task: not handed over; when its deadline passes the procedure decides" in english
    response = post(
        admin,
        f"/admin/accounts/{user_id}/disable",
        {"username": "member2", "reason": "长期外出"},
        f"/admin/accounts/{user_id}",
    )
    assert response.status_code == 302
    done = text(admin.get(f"/admin/accounts/{user_id}"))
    assert "已停用账号 member2" in done and "项待办已交接" not in done
    assert [t.instance_id for t in tasks_assigned(kernel, "member2")] == [walk.instance_id]


def test_the_committee_reads_accounts_without_forms_and_a_member_is_refused(
    kernel: Kernel, login: Login
) -> None:
    committee = login("committee")
    page = text(committee.get("/admin/accounts"))
    assert "secretary1" in page and "开设账号" not in page
    detail = text(committee.get(f"/admin/accounts/{account(kernel, 'member1').id}"))
    assert "重置密码" not in detail and "停用账号" not in detail
    assert login("member1").get("/admin/accounts").status_code == 403
    with nothing_stored(kernel):
        refused = post(
            committee, "/admin/accounts/new", {"username": "x9x", "roles": ["auditor"]}, "/admin/accounts"
        )
    assert refused.status_code == 403


def test_an_administrator_sees_their_own_menu(kernel: Kernel, login: Login) -> None:
    admin = login("admin")
    assert admin.get("/").headers["Location"] == "/admin"
    page = text(admin.get("/admin"))
    nav = page.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    for item in ("组织机构", "党员", "账号", "花名册", "节假日"):
        assert f">{item}</a>" in nav, item
    assert ">待办" not in nav and ">我发起的<" not in nav
    committee_nav = (
        text(login("committee").get("/inbox")).split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    )
    assert (
        ">待办" in committee_nav and ">组织与账号</a>" in committee_nav and ">账号</a>" not in committee_nav
    )
    with kernel.db.unit_of_work(write=False) as uow:
        assert (
            uow.session.execute(
                sa.select(User.must_change_password).where(User.username == "admin")
            ).scalar_one()
            is False
        )
