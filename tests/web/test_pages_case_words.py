"""A case as the pages and the API show it, in its diagrams' words: the data its procedure lists
(`caseFields`, labelled by the diagram and the forms), its outcome named by its end event (a
revoked case reads 已撤销, not "revoked"), and the democratic evaluation's scores withheld from
the nominee and other members, in the API's history as on the page."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from nomination_support import members_answer
from support import CreationWalk, actor, establish_post
from test_pages_support import text

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import tasks

Login = Callable[[str], FlaskClient]
Headers = Callable[[str], dict[str, str]]
SCORES = {"political": 5, "work": 4, "service": 3, "conduct": 5, "discipline": 4}


def _evaluated(kernel: Kernel) -> CreationWalk:
    walk = CreationWalk(kernel)
    walk.start()
    members_answer(walk, ("member2",), SCORES)
    return walk


def _evaluation_data(body: list[dict]) -> list[dict]:
    return [e["payload"]["data"] for e in body if e["element"] == "Task_member_evaluation"]


def test_the_api_history_withholds_an_evaluators_scores_from_the_nominee(
    kernel: Kernel, client: FlaskClient, token: Headers
) -> None:
    walk = _evaluated(kernel)
    path = f"/api/v1/instances/{walk.instance_id}/history"
    nominee = client.get(path, headers=token("member1")).get_json()
    assert _evaluation_data(nominee) == [{}]
    flags = [e["payload"].get("withheld") for e in nominee if e["element"] == "Task_member_evaluation"]
    assert flags == [True]
    assert _evaluation_data(client.get(path, headers=token("member2")).get_json()) == [SCORES]
    assert _evaluation_data(client.get(path, headers=token("auditor")).get_json()) == [SCORES]


def test_the_case_page_says_the_scores_are_withheld_and_shows_no_score(kernel: Kernel, login: Login) -> None:
    walk = _evaluated(kernel)
    body = text(login("member1").get(f"/instances/{walk.instance_id}"))
    assert "个人测评内容不向您显示，可查看汇总结果" in body
    assert "政治素质优" not in body


def test_the_case_page_shows_the_data_its_diagram_lists_under_the_diagrams_names(
    kernel: Kernel, login: Login
) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    body = text(login("secretary1").get(f"/instances/{walk.instance_id}"))
    assert "<dt>党员测评平均分</dt><dd>96.0</dd>" in body
    assert "<dt>测评结果</dt><dd>通过</dd>" in body
    assert "<dt>示范岗类别</dt><dd>关键岗位</dd>" in body
    english = text(login("secretary1").get(f"/instances/{walk.instance_id}?lang=en"))
    assert "<dt>Members&#39; average score</dt><dd>96.0</dd>" in english
    assert "<dt>Evaluation result</dt><dd>Passed</dd>" in english


def test_a_revoked_case_is_named_by_its_end_event(kernel: Kernel, login: Login) -> None:
    walk = CreationWalk(kernel)
    walk.instance_id = tasks.start(
        kernel,
        actor(kernel, "secretary1"),
        "revocation",
        {"post_id": establish_post(kernel), "reasons": "该同志长期外出务工，无法履行示范岗职责。"},
    ).instance_id
    walk.decide("approve")
    walk.complete("secretary1", {"returned_on": "2026-11-30"}, "Task_plate_return")
    body = text(login("committee").get(f"/instances/{walk.instance_id}"))
    assert "已办结（已撤销）" in body and "已办结（revoked）" not in body
    assert "<dt>撤销理由</dt>" in body
    assert "Closed (Revoked)" in text(login("committee").get(f"/instances/{walk.instance_id}?lang=en"))
