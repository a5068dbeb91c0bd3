"""A whole creation procedure walked through the pages only, as the people in it would:
the secretary nominates, members evaluate, villagers answer their links, the notice runs out,
the member consents, the branch determines the list, the committee approves, the post is listed."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from support import GOOD, member_id_of
from test_pages_support import hidden, post, text

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import audit, notices, timers

Login = Callable[[str], FlaskClient]


def open_task(client: FlaskClient, step: str) -> tuple[str, str]:
    """From the inbox to the first task named `step`: its path and its page."""
    inbox = text(client.get("/inbox"))
    # The item's cell may list the case's key facts after its link (rows that batch approval takes).
    found = re.search(
        rf'href="(/tasks/[^"]+)">[^<]*</a>(?:(?!</td>).)*</td>\s*<td data-label="[^"]+">{step}</td>',
        inbox,
        re.S,
    )
    assert found, f"no {step} in the inbox"
    return found.group(1), text(client.get(found.group(1)))


def submit(client: FlaskClient, step: str, data: dict[str, object]) -> None:
    path, page = open_task(client, step)
    response = post(client, path, {**data, "expected_version": hidden(page, "expected_version")})
    assert response.status_code == 302, text(response)


def nominate(kernel: Kernel, login: Login) -> tuple[FlaskClient, str]:
    secretary = login("secretary1")
    ids = [member_id_of(kernel, u) for u in ("member1", "member2", "member3", "member4")]
    data = {
        "candidate_member_id": ids[0],
        "post_title": "便民服务示范岗",
        "category": "key_post",
        "discussion_date": "2026-11-20",
        "discussion_summary": "支部党员大会酝酿讨论，一致推荐该同志。",
        "member_evaluators": [str(i) for i in ids[1:]],
        "public_evaluator_count": 5,
    }
    response = post(secretary, "/processes/model_post_creation/start", data)
    assert response.status_code == 302
    return secretary, response.headers["Location"]


def test_a_model_post_is_created_through_the_pages(kernel: Kernel, login: Login, client: FlaskClient) -> None:
    secretary, instance = nominate(kernel, login)
    for member in ("member2", "member3", "member4"):
        submit(login(member), "党员测评", {name: str(score) for name, score in GOOD.items()})
    tokens = re.findall(r'href="/s/([A-Za-z0-9_-]+)"', text(secretary.get(instance)))
    assert len(tokens) == 5
    for token in tokens:
        answer = post(
            client, f"/s/{token}", {n: str(s) for n, s in GOOD.items()}, token_from="/public/notices"
        )
        assert answer.status_code == 302
    board = text(client.get("/public/notices"))
    assert "党员示范岗测评结果公示：李志强" in board and "还剩 5 个工作日" in board

    (notice,) = notices.active_notices(kernel)
    kernel.clock.set(notice["ends_at"].replace(second=1))  # type: ignore[attr-defined]
    assert timers.tick(kernel).fired
    assert "目前没有正在公示的事项" in text(client.get("/public/notices"))

    submit(
        login("member1"),
        "本人确认意愿",
        {"willing": "true", "pledge": "我愿意承担示范岗职责，带头服务群众。"},
    )
    determine = {
        "include": "true",
        "post_title": "便民服务示范岗",
        "responsibilities": "负责村便民服务站日常工作。",
    }
    submit(secretary, "支部确定名单", determine)
    submit(login("committee"), "镇党委审批", {"decision": "approve", "opinion": "经党委会研究，同意设立。"})

    register = text(login("committee").get("/posts"))
    assert "ZA-SFG-2026-0001" in register and "李志强" in register and "关键岗位" in register
    case = text(secretary.get(instance))
    assert "已办结（示范岗设立）" in case and "经党委会研究，同意设立。" in case
    history = case.split('id="history"')[1].split("</section>")[0]
    assert history.count(">群众测评</td>") == 5 and ">public<" not in history and "系统定时" in history
    assert audit.verify(kernel).ok
