"""历史回放: the page that steps through a case's events, and GET /api/v1/instances/{id}/history/{n}."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

import sqlalchemy as sa
from flask.testing import FlaskClient
from support import CreationWalk, actor
from test_pages_support import APPROVE, text, walk_to

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, User
from xianfeng.engine.services import tasks

Login = Callable[[str], FlaskClient]
Headers = Callable[[str], dict[str, str]]


def approved(kernel: Kernel) -> CreationWalk:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    tasks.complete(kernel, actor(kernel, "committee"), task.id, dict(APPROVE))
    return walk


def shown_name(kernel: Kernel, username: str) -> str:
    with kernel.db.unit_of_work(write=False) as uow:
        return str(
            uow.session.execute(sa.select(User.display_name).where(User.username == username)).scalar_one()
        )


def marks(page: str) -> dict[str, list[str]]:
    found = re.search(r'data-marks="([^"]*)"', page)
    assert found, "no diagram marks on the page"
    return dict(json.loads(html.unescape(found.group(1))))


def field_row(page: str, label: str) -> str:
    found = re.search(
        rf"<tr class=\"[^\"]*\" data-path=\"[^\"]*\">\s*<th scope=\"row\">{re.escape(label)}.*?</tr>",
        page,
        re.S,
    )
    assert found, f"no data row {label}"
    return found.group(0)


def test_the_first_event_shows_who_started_what_waited_and_the_data(kernel: Kernel, login: Login) -> None:
    walk = approved(kernel)
    response = login("auditor").get(f"/instances/{walk.instance_id}/history?at=1")
    page = text(response)
    assert response.status_code == 200
    assert "历史回放" in page and "第 1 / 13 步" in page
    assert f'href="/instances/{walk.instance_id}/history?at=2"' in page and 'rel="next"' in page
    assert 'rel="prev"' not in page and page.count("<option value=") == 13
    assert "第 1 号事件：发起 · 支部酝酿讨论，推荐候选人" in page
    assert shown_name(kernel, "secretary1") in page and "党支部" in page and "2026-11-25 09:00" in page
    assert "v1" in page and "✓ 重放结果与日志记录的状态一致。" in page
    assert {"Task_member_evaluation", "Task_public_evaluation"} <= set(marks(page)["current"])
    assert 'data-processes="model_post_creation,nominee_evaluation"' in page
    assert "党员测评" in page and shown_name(kernel, "member2") in page and "待 5 位群众通过链接填写" in page
    assert "测评期满：定时，2026-12-09 24:00 到期" in page
    assert "李志强（ZA-M01）" in field_row(page, "候选党员")


def test_the_committee_decision_shows_the_decision_as_the_form_words_it(kernel: Kernel, login: Login) -> None:
    walk = approved(kernel)
    client = login("auditor")
    page = text(client.get(f"/instances/{walk.instance_id}/history?at=13"))
    assert 'rel="next"' not in page and f'href="/instances/{walk.instance_id}/history?at=12"' in page
    decision = field_row(page, "审批决定")
    assert "批准" in decision and "本步变更" in decision
    assert "本步变更" not in field_row(page, "示范岗名称")
    assert "流程已办结：示范岗设立" in page and marks(page)["current"] == []
    last = text(client.get(f"/instances/{walk.instance_id}/history"))  # the last event by default
    assert "第 13 / 13 步" in last and "第 13 号事件：办理 · 镇党委审批" in last
    english = text(client.get(f"/instances/{walk.instance_id}/history?at=13&lang=en"))
    assert "History at any point" in english and "Step 13 of 13" in english
    assert "Approve" in field_row(english, "Decision")


def test_the_case_page_leads_to_its_history(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    page = text(login("secretary1").get(f"/instances/{walk.instance_id}"))
    assert f'href="/instances/{walk.instance_id}/history"' in page and "历史回放" in page


def test_only_those_who_may_read_the_case_see_its_history(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    path = f"/instances/{walk.instance_id}/history"
    assert login("secretary1").get(path).status_code == 200
    assert login("committee").get(path).status_code == 200
    assert login("secretary2").get(path).status_code == 403
    assert login("member11").get(path).status_code == 403


def test_an_event_the_case_does_not_have_is_not_found(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    client = login("auditor")
    assert client.get(f"/instances/{walk.instance_id}/history?at=2").status_code == 404
    assert client.get(f"/instances/{walk.instance_id}/history?at=two").status_code == 404
    assert client.get("/instances/999/history").status_code == 404


def test_a_tampered_event_is_shown_as_failing_with_the_reason(kernel: Kernel, login: Login) -> None:
    walk = approved(kernel)
    with kernel.db.engine.begin() as connection:
        where = (Event.instance_id == walk.instance_id) & (Event.instance_version == 11)
        payload = json.loads(connection.execute(sa.select(Event.payload).where(where)).scalar_one())
        payload["data"]["pledge"] = "（篡改）"
        connection.execute(sa.update(Event).where(where).values(payload=json.dumps(payload)))
    client = login("auditor")
    broken = client.get(f"/instances/{walk.instance_id}/history?at=11")
    page = text(broken)
    assert broken.status_code == 200
    assert "此事件重放失败" in page and "the row was edited" in page and "无法显示此时的状态" in page
    later = text(client.get(f"/instances/{walk.instance_id}/history"))
    assert "此事件未重放：第 11 号事件已重放失败" in later and 'data-marks="' not in later
    assert "✓ 重放结果与日志记录的状态一致。" in text(
        client.get(f"/instances/{walk.instance_id}/history?at=10")
    )


def test_the_api_gives_the_case_after_any_event(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    walk = approved(kernel)
    path = f"/api/v1/instances/{walk.instance_id}/history"
    response = client.get(f"{path}/1", headers=token("auditor"))
    body = response.get_json()
    assert response.status_code == 200
    assert (body["position"], len(body["events"])) == (1, 13)
    first = body["events"][0]
    assert (first["kind"], first["actor"], first["role"], first["replay"]) == (
        "start",
        "secretary1",
        "branch",
        "ok",
    )
    assert first["actor_name"] == shown_name(kernel, "secretary1") and first["business_time"].endswith(
        "+08:00"
    )
    moment = body["moment"]
    assert {t["spec_id"] for t in moment["open_tasks"]} == {
        "Task_member_evaluation",
        "Task_public_evaluation",
    }
    assert moment["waiting"][0]["spec_id"] == "Timer_evaluation_deadline"
    assert moment["called"][0]["process_id"] == "nominee_evaluation"
    decided = client.get(f"{path}/13", headers=token("auditor")).get_json()["moment"]
    decision = next(f for f in decided["fields"] if f["path"] == "approval.decision")
    assert decision["value"] == "approve" and decision["label"]["en"] == "Decision" and decision["changed"]
    assert client.get(f"{path}/14", headers=token("auditor")).status_code == 404
    assert client.get(f"{path}/1", headers=token("secretary2")).status_code == 403
    assert client.get(f"{path}/1").status_code == 401
