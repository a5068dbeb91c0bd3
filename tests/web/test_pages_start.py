"""发起: the start form rendered by the same renderer as task forms, and starting a case with it."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from support import actor, member_id_of
from test_pages_support import nothing_stored, post, text

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import inbox

Login = Callable[[str], FlaskClient]
START = "/processes/model_post_creation/start"
EVALUATORS = ("member2", "member3", "member4")


def nomination(kernel: Kernel, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "candidate_member_id": member_id_of(kernel, "member1"),
        "post_title": "便民服务示范岗",
        "category": "key_post",
        "service_domains": ["elderly_care", "travel"],
        "discussion_date": "2026-11-20",
        "discussion_summary": "支部党员大会酝酿讨论，一致推荐该同志。",
        "member_evaluators": ", ".join(
            str(member_id_of(kernel, u)) for u in ("member2", "member3", "member4")
        ),
        "public_evaluator_count": "5",
    }
    data.update(overrides)
    return data


def test_the_start_form_is_drawn_from_the_nomination_schema(login: Login) -> None:
    response = login("secretary1").get(START)
    body = text(response)
    assert response.status_code == 200 and "<h1>支部酝酿讨论与提名</h1>" in body
    assert '<select id="f-candidate_member_id" name="candidate_member_id"' in body  # x-source
    assert '<option value="4">李志强（ZA-M01）</option>' in body  # the branch's members by name
    assert 'type="checkbox" name="member_evaluators" value="5"> 张文明（ZA-M02）' in body
    assert "李志强" not in text(login("secretary2").get(START))  # another branch, other members
    assert 'type="radio" name="category" value="key_post"' in body and "关键岗位" in body
    assert 'type="checkbox" name="service_domains" value="petitions_disputes"' in body and "信访矛盾" in body
    assert 'name="discussion_date" type="date"' in body
    assert 'min="0"' in body and 'max="100"' in body and 'max="500"' in body  # the schema's limits
    assert 'name="paper_ballot_count"' in body and "纸质测评票份数" in body
    assert "Branch discussion and nomination" in text(login("secretary1").get(f"{START}?lang=en"))


def test_only_those_who_may_start_see_the_form(login: Login) -> None:
    assert login("member2").get(START).status_code == 403
    assert login("committee").get(START).status_code == 403
    assert login("secretary1").get("/processes/no_such_process/start").status_code == 404


def test_a_refused_nomination_comes_back_with_messages_and_values(kernel: Kernel, login: Login) -> None:
    client = login("secretary1")
    outsider = member_id_of(kernel, "member15")  # a member of the second branch
    data = nomination(
        kernel, candidate_member_id=str(outsider), member_evaluators=["5", "x"], discussion_date="2026-13-01"
    )
    with nothing_stored(kernel):
        response = post(client, START, data)
    body = text(response)
    assert response.status_code == 422
    assert 'id="err-candidate_member_id"' in body and "不是本支部的在册党员" in body
    assert "参加测评的党员（第 2 项）：必须是整数，而不是文本" in body
    assert "酝酿讨论日期：必须是有效日期" in body
    assert 'value="便民服务示范岗"' in body and 'value="elderly_care" checked' in body  # values kept
    assert 'name="member_evaluators" value="5" checked' in body


def test_a_valid_nomination_starts_the_case(kernel: Kernel, login: Login) -> None:
    client = login("secretary1")
    response = post(client, START, nomination(kernel))
    assert response.status_code == 302 and response.headers["Location"].startswith("/instances/")
    page = text(client.get(response.headers["Location"]))
    assert "已发起：" in page and "党员示范岗创建：李志强（便民服务示范岗）" in page and "养老、出行" in page
    assert [t.name for t in inbox.tasks_for(kernel, actor(kernel, "member3"))] == ["党员测评"]
