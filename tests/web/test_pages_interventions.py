"""管理员干预 through the pages: the case page's panel, for administrators only; each action needs a
reason, says what it did, and shows in the case's history with the administrator and the reason;
a refusal shows the precise reason and stores nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from intervention_support import (
    DETERMINE,
    DETERMINED,
    PREPARE_NAME,
    at_consent,
    at_determine,
    make_deputy,
    make_stuck,
    publish_changed_prepare,
    publish_longer_approval,
)
from support import GOOD, CreationWalk
from test_pages_support import nothing_stored, post, text, walk_to

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import audit

Login = Callable[[str], FlaskClient]
REASON = "候选人已调离本村"


def _case_page(client: FlaskClient, instance_id: int) -> str:
    response = client.get(f"/instances/{instance_id}")
    assert response.status_code == 200
    return text(response)


def _history(page: str) -> str:
    return page[page.index('id="history"') :]


def _task_item(page: str, task_id: str) -> str:
    """The panel's entry for one open task."""
    return page[page.index(f'id="task-{task_id}"') :].split("</li>", 1)[0]


def _determined() -> dict[str, str]:
    return {k: "true" if v is True else str(v) for k, v in DETERMINED.items()}


def _actions(walk: CreationWalk) -> list[tuple[str, dict[str, str]]]:
    """Every action of the panel with a good request body, on a case waiting for the branch to
    determine the list (a task that may be handed on and completed on someone's behalf)."""
    task = walk.task_of("secretary1", DETERMINE)
    case = f"/instances/{walk.instance_id}"
    return [
        (f"{case}/cancel", {"reason": REASON, "confirmed": "yes"}),
        (f"{case}/suspend", {"reason": "等待上级核查"}),
        (f"{case}/retry", {"reason": "定时器未触发，手动重试"}),
        (f"{case}/migrate", {"to_version": "2", "reason": "按新规定执行"}),
        (f"{case}/tasks/{task.id}/reassign", {"to": "member6", "reason": "原办理人住院"}),
        (f"{case}/tasks/{task.id}/on-behalf", {**_determined(), "reason": "代为录入支部决定"}),
    ]


def test_the_panel_is_shown_to_administrators_only(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    page = _case_page(login("admin"), walk.instance_id)
    assert "管理员干预" in page and f'action="/instances/{walk.instance_id}/suspend"' in page
    assert f'action="/instances/{walk.instance_id}/cancel"' in page and "代为办理" in page
    assert "没有比第 1 版更新的版本" in page
    for username in ("committee", "secretary1", "auditor"):
        assert "管理员干预" not in _case_page(login(username), walk.instance_id), username


def test_a_cancellation_is_confirmed_then_shows_in_the_history_and_verifies(
    kernel: Kernel, login: Login
) -> None:
    walk = walk_to(kernel, "evaluation")
    admin = login("admin")
    with nothing_stored(kernel):
        asked = post(admin, f"/instances/{walk.instance_id}/cancel", {"reason": REASON})
    assert asked.status_code == 200 and "确认取消案件" in text(asked)
    assert "3 项待办结束" in text(asked) and f">{REASON}</textarea>" in text(asked)
    done = post(admin, f"/instances/{walk.instance_id}/cancel", {"reason": REASON, "confirmed": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith(
        f"/instances/{walk.instance_id}#interventions"
    )
    page = _case_page(admin, walk.instance_id)
    assert "已取消该案件" in page and "已取消" in page and "案件已结束（已取消），不能再干预" in page
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*>管理员干预：取消<(?:(?!</tr>).)*</tr>", _history(page), re.S)
    assert row and "系统管理员" in row.group(0) and "管理员" in row.group(0) and REASON in row.group(0)
    assert audit.verify(kernel).ok


@pytest.mark.parametrize("reason", ["", "  ", "取消"])
def test_a_cancellation_without_a_reason_is_refused_at_either_step(
    kernel: Kernel, login: Login, reason: str
) -> None:
    walk = walk_to(kernel, "evaluation")
    admin = login("admin")
    with nothing_stored(kernel):
        asked = post(admin, f"/instances/{walk.instance_id}/cancel", {"reason": reason})
        confirmed = post(
            admin, f"/instances/{walk.instance_id}/cancel", {"reason": reason, "confirmed": "yes"}
        )
    for response in (asked, confirmed):
        assert response.status_code == 422 and "请填写理由（至少 4 个字）" in text(response)


@pytest.mark.parametrize("username", ["committee", "secretary1", "member1"])
def test_nobody_but_an_administrator_intervenes(kernel: Kernel, login: Login, username: str) -> None:
    walk = at_determine(kernel)
    make_deputy(kernel, "member6")
    client = login(username)
    with nothing_stored(kernel):
        for path, data in [*_actions(walk), (f"/instances/{walk.instance_id}/cancel", {"reason": REASON})]:
            response = post(client, path, data)
            assert response.status_code == 403, (path, response.status_code)
        assert client.get(f"/instances/{walk.instance_id}/migrate?to_version=2").status_code == 403
        assert client.get("/admin/stuck").status_code == 403
    assert "只有管理员可以干预案件" in text(
        post(client, f"/instances/{walk.instance_id}/suspend", {"reason": "试试看吧"})
    )


def test_an_unknown_case_is_not_found(kernel: Kernel, login: Login) -> None:
    walk = at_determine(kernel)
    admin = login("admin")
    with nothing_stored(kernel):
        for path, data in _actions(walk):
            unknown = path.replace(f"/instances/{walk.instance_id}/", "/instances/999/")
            assert post(admin, unknown, data).status_code == 404, unknown
        assert admin.get("/instances/999/migrate?to_version=2").status_code == 404


@pytest.mark.parametrize("path", ["suspend", "retry", "migrate"])
def test_an_action_without_a_reason_is_refused_and_stores_nothing(
    kernel: Kernel, login: Login, path: str
) -> None:
    walk = walk_to(kernel, "evaluation")
    version = publish_longer_approval(kernel)
    make_stuck(kernel, walk.instance_id)
    with nothing_stored(kernel):
        response = post(
            login("admin"), f"/instances/{walk.instance_id}/{path}", {"reason": " ", "to_version": version}
        )
    assert response.status_code == 422 and "请填写理由（至少 4 个字）" in text(response)


def test_a_suspended_case_is_held_then_resumed_each_on_the_record(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    admin = login("admin")
    response = post(admin, f"/instances/{walk.instance_id}/suspend", {"reason": "等待上级核查"})
    assert response.status_code == 302
    page = _case_page(admin, walk.instance_id)
    assert "已暂停该案件" in page and "案件已暂停：恢复之前无人能办理" in page
    assert f'action="/instances/{walk.instance_id}/resume"' in page
    with nothing_stored(kernel):
        again = post(admin, f"/instances/{walk.instance_id}/suspend", {"reason": "再暂停一次"})
    assert again.status_code == 422 and "案件当前为「已暂停」，不能执行此操作" in text(again)
    assert post(admin, f"/instances/{walk.instance_id}/resume", {"reason": "核查完毕"}).status_code == 302
    history = _history(_case_page(admin, walk.instance_id))
    assert ">管理员干预：暂停<" in history and "等待上级核查" in history
    assert ">管理员干预：恢复<" in history and "核查完毕" in history
    assert audit.verify(kernel).ok


def test_a_task_is_given_to_a_person_of_the_cases_branch(kernel: Kernel, login: Login) -> None:
    walk = at_determine(kernel)
    make_deputy(kernel, "member6")  # a deputy secretary: the branch role in the case's branch
    task = walk.task_of("secretary1", DETERMINE)
    admin = login("admin")
    panel = _case_page(admin, walk.instance_id)
    offered = _task_item(panel, task.id)
    assert '<option value="member6">' in offered and '<option value="secretary1">' in offered
    assert '<option value="member15">' not in offered and '<option value="secretary2">' not in offered
    assert "代为办理" in offered and "本人办理的事项" not in offered
    path = f"/instances/{walk.instance_id}/tasks/{task.id}/reassign"
    with nothing_stored(kernel):
        outside = post(admin, path, {"to": "member15", "reason": "换人办理"})
        short = post(admin, path, {"to": "member6", "reason": "换"})
    assert outside.status_code == 403 and "member15 不能办理该待办" in text(outside)
    assert short.status_code == 422 and "请填写理由" in text(short)
    assert post(admin, path, {"to": "member6", "reason": "原办理人住院"}).status_code == 302
    assert walk.task_of("member6", DETERMINE).id == task.id
    again = _task_item(_case_page(admin, walk.instance_id), task.id)
    assert '<option value="member6">' not in again  # it is member6's now
    history = _history(_case_page(admin, walk.instance_id))
    # The history names people, not accounts: member6 is 赵海军.
    assert ">管理员干预：转交<" in history and "交给 赵海军" in history and "原办理人住院" in history
    assert audit.verify(kernel).ok


def test_a_task_is_completed_on_someones_behalf_through_its_own_form(kernel: Kernel, login: Login) -> None:
    walk = at_determine(kernel)
    task = walk.task_of("secretary1", DETERMINE)
    admin = login("admin")
    path = f"/instances/{walk.instance_id}/tasks/{task.id}/on-behalf"
    form = text(admin.get(path))
    assert "代为办理" in form and 'name="responsibilities"' in form and 'name="reason"' in form
    good = _determined()
    with nothing_stored(kernel):
        bad = post(admin, path, {**good, "responsibilities": "短", "reason": "代为录入支部决定"})
        unexplained = post(admin, path, {**good, "reason": ""})
    assert (
        bad.status_code == 422
        and 'id="err-responsibilities"' in text(bad)
        and ">代为录入支部决定</textarea>" in text(bad)
    )
    assert unexplained.status_code == 422 and "请填写理由（至少 4 个字）" in text(unexplained)
    assert post(admin, path, {**good, "reason": "代为录入支部决定"}).status_code == 302
    history = _history(_case_page(admin, walk.instance_id))
    assert ">管理员干预：代为办理<" in history and "代为录入支部决定" in history and "系统管理员" in history
    assert audit.verify(kernel).ok


def test_an_evaluators_own_evaluation_offers_neither_hand_over_nor_completion_on_their_behalf(
    kernel: Kernel, login: Login
) -> None:
    walk = walk_to(kernel, "evaluation")
    task = walk.task_of("member2", "Task_member_evaluation")
    admin = login("admin")
    item = _task_item(_case_page(admin, walk.instance_id), task.id)
    assert "本人办理的事项：只能由其本人作答，管理员也不能转交或代为办理" in item
    assert "转交给他人" not in item and "代为办理</a>" not in item and "<form" not in item
    english = _task_item(text(login("admin").get(f"/instances/{walk.instance_id}?lang=en")), task.id)
    assert "A task of this person's own: only they may answer it" in english
    case = f"/instances/{walk.instance_id}/tasks/{task.id}"
    refusal = "“党员测评”是本人办理的事项：只能由其本人作答，管理员也不能转交或代为办理"
    with nothing_stored(kernel):
        opened = admin.get(f"{case}/on-behalf")
        given = [
            post(admin, f"{case}/reassign", {"to": to, "reason": "原测评人住院"})
            for to in ("member6", "member1")
        ]
        done = post(
            admin, f"{case}/on-behalf", {**{k: str(v) for k, v in GOOD.items()}, "reason": "代录纸质测评"}
        )
    for response in (opened, *given, done):
        assert response.status_code == 403 and refusal in text(response), response.status_code
    assert walk.task_of("member2", "Task_member_evaluation").id == task.id


def test_the_nominees_consent_is_not_completed_on_their_behalf(kernel: Kernel, login: Login) -> None:
    walk = at_consent(kernel)
    task = walk.task_of("member1", "Task_consent")
    admin = login("admin")
    item = _task_item(_case_page(admin, walk.instance_id), task.id)
    assert "本人办理的事项" in item and "代为办理</a>" not in item
    with nothing_stored(kernel):
        opened = admin.get(f"/instances/{walk.instance_id}/tasks/{task.id}/on-behalf")
    assert opened.status_code == 403 and "“本人确认意愿”是本人办理的事项" in text(opened)


def test_a_migration_that_would_change_a_done_step_is_refused_naming_it(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    version = publish_changed_prepare(kernel)
    admin = login("admin")
    assert f'<option value="{version}">' in _case_page(admin, walk.instance_id)
    with nothing_stored(kernel):
        check = admin.get(f"/instances/{walk.instance_id}/migrate?to_version={version}")
        refused = post(
            admin, f"/instances/{walk.instance_id}/migrate", {"to_version": version, "reason": "尝试迁移"}
        )
    assert check.status_code == 200 and "不能迁移" in text(check)
    assert f"{PREPARE_NAME}（Script_prepare）</strong>：本案件已办理此步骤，新版本修改了它" in text(check)
    assert 'name="reason"' not in text(check)  # nothing to confirm
    assert refused.status_code == 422 and f"{PREPARE_NAME}（Script_prepare）" in text(refused)


def test_an_allowed_migration_is_confirmed_with_a_reason_and_shows_in_the_history(
    kernel: Kernel, login: Login
) -> None:
    walk = at_consent(kernel)
    version = publish_longer_approval(kernel)
    admin = login("admin")
    check = admin.get(f"/instances/{walk.instance_id}/migrate?to_version={version}")
    assert (
        check.status_code == 200 and "可以迁移" in text(check) and "审批期限延长至15个工作日" in text(check)
    )
    assert (
        admin.get(f"/instances/{walk.instance_id}/migrate?to_version=1").status_code == 200
    )  # says: newer only
    assert "只能迁移到比案件当前版本更新的版本" in text(
        admin.get(f"/instances/{walk.instance_id}/migrate?to_version=1")
    )
    assert admin.get(f"/instances/{walk.instance_id}/migrate?to_version=9").status_code == 404
    done = post(
        admin, f"/instances/{walk.instance_id}/migrate", {"to_version": version, "reason": "按新规定执行"}
    )
    assert done.status_code == 302
    page = _case_page(admin, walk.instance_id)
    assert f"已迁移到第 {version} 版" in page and f">管理员干预：迁移到第 {version} 版<" in _history(page)
    assert audit.verify(kernel).ok


def test_a_stuck_case_is_listed_and_retried_from_the_list(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    admin = login("admin")
    assert "没有异常案件" in text(admin.get("/admin/stuck"))
    make_stuck(kernel, walk.instance_id)
    listed = text(admin.get("/admin/stuck"))
    assert f'href="/instances/{walk.instance_id}"' in listed and 'name="back" value="stuck"' in listed
    assert "定时步骤「测评期满」应于" in listed
    assert "定时步骤「测评期满」应于" in _case_page(admin, walk.instance_id)
    with nothing_stored(kernel):
        short = post(admin, f"/instances/{walk.instance_id}/retry", {"reason": "重试", "back": "stuck"})
    assert short.status_code == 422 and "异常案件" in text(short) and "请填写理由" in text(short)
    done = post(
        admin, f"/instances/{walk.instance_id}/retry", {"reason": "定时器未触发，手动重试", "back": "stuck"}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/stuck")
    assert "没有异常案件" in text(admin.get("/admin/stuck"))
    assert ">管理员干预：重试<" in _history(_case_page(admin, walk.instance_id))
    assert audit.verify(kernel).ok
