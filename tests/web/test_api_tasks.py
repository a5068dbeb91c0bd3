"""GET /api/v1/tasks, GET /api/v1/tasks/{id}, POST …/complete and POST …/batch-complete."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from support import CreationWalk
from test_api_support import APPROVE, DETERMINE, ETAG, error_of, etag_of_task, nothing_stored, walk_to

from xianfeng.engine.kernel import Kernel

Headers = Callable[[str], dict[str, str]]


def test_the_list_gives_each_actionable_task_with_its_version(
    client: FlaskClient, token: Headers, walk: CreationWalk
) -> None:
    walk.start()
    version = walk.show()["version"]
    tasks = client.get("/api/v1/tasks", headers=token("member2")).get_json()
    assert len(tasks) == 1
    task = tasks[0]
    assert task["instance_id"] == walk.instance_id and task["instance_title"].startswith("党员示范岗创建")
    assert (task["name"], task["name_en"], task["role"], task["form"]) == (
        "党员测评",
        "Evaluation by a member",
        "member",
        "evaluation.json",
    )
    assert task["due_at"] == "2026-12-10T00:00:00+08:00" and task["overdue"] is False
    assert task["version"] == version and task["etag"] == f'"{walk.instance_id}-{version}"'
    assert client.get("/api/v1/tasks", headers=token("member9")).get_json() == []


def test_a_task_past_its_due_time_is_listed_as_overdue(
    client: FlaskClient, token: Headers, walk: CreationWalk, kernel: Kernel
) -> None:
    walk.start()
    kernel.clock.set(dt.datetime.fromisoformat("2026-12-10T00:00:01+08:00"))
    assert client.get("/api/v1/tasks", headers=token("member2")).get_json()[0]["overdue"] is True


def test_the_task_view_has_form_schema_order_verbs_and_a_strong_etag(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    response = client.get(f"/api/v1/tasks/{task.id}", headers=token("secretary1"))
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{walk.instance_id}-{task.instance_version}"'
    assert re.match(ETAG, response.headers["ETag"])  # strong: no W/ prefix
    view = response.get_json()
    assert view["form"]["name"] == "determine_list.json"
    assert view["form"]["schema"]["required"] == ["include", "post_title", "responsibilities"]
    assert view["form"]["order"] == ["include", "post_title", "responsibilities", "note"]
    assert "岗位职责" in view["instructions"] and view["data"]["pledge"].startswith("我愿意")
    assert view["verbs"] == [
        "complete",
        "return",
        "transfer",
        "delegate",
        "add_signer",
        "copy",
    ]  # no 催办 of one's own
    assert view["return_targets"] == [{"id": "Task_consent", "name": "本人确认意愿"}]
    assert (view["signers"], view["delegation_state"], view["version"]) == ([], "", task.instance_version)


@pytest.mark.parametrize(
    ("who", "task_id", "status", "code"),
    [
        ("secretary2", None, 403, "not_allowed"),
        ("member9", None, 403, "not_allowed"),
        ("auditor", None, 403, "not_allowed"),
        ("secretary1", "no-such-task", 404, "not_found"),
    ],
)
def test_the_task_view_is_refused_to_others(
    client: FlaskClient, token: Headers, kernel: Kernel, who: str, task_id: str | None, status: int, code: str
) -> None:
    walk = walk_to(kernel, "determine")
    task_id = task_id or walk.task_of("secretary1", "Task_determine_list").id
    response = client.get(f"/api/v1/tasks/{task_id}", headers=token(who))
    assert response.status_code == status and error_of(response)["code"] == code


def test_completing_with_the_etag_moves_the_case_on_once(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    headers = {**token("secretary1"), "If-Match": etag_of_task(client, token("secretary1"), task.id)}
    response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=headers, json={"data": DETERMINE})
    assert response.status_code == 200
    outcome = response.get_json()
    assert (outcome["instance_id"], outcome["version"], outcome["status"]) == (
        walk.instance_id,
        task.instance_version + 1,
        "running",
    )
    assert [(t["spec_id"], t["role"]) for t in outcome["next_tasks"]] == [
        ("Task_committee_decision", "committee")
    ]
    with nothing_stored(kernel):
        again = client.post(f"/api/v1/tasks/{task.id}/complete", headers=headers, json={"data": DETERMINE})
    assert again.status_code == 409 and error_of(again)["code"] == "stale_submission"
    assert "already completed by secretary1" in again.get_json()["message"]


def _case(headers: dict[str, str], etag: str, case: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Headers and body of one refused completion."""
    good = {**headers, "If-Match": etag}
    instance, version = (int(x) for x in etag.strip('"').split("-"))
    cases: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
        "unknown_field": (good, {"data": DETERMINE, "opinion": "x"}),
        "invalid_form": (good, {"data": {**DETERMINE, "responsibilities": "短"}}),
        "missing_data": (good, {}),
        "stale": ({**headers, "If-Match": f'"{instance}-{version - 1}"'}, {"data": DETERMINE}),
        "missing_if_match": (headers, {"data": DETERMINE}),
        "weak_etag": ({**headers, "If-Match": f'W/"{instance}-{version}"'}, {"data": DETERMINE}),
        "no_token": ({"If-Match": etag}, {"data": DETERMINE}),
        "bad_token": ({"Authorization": "Bearer forged", "If-Match": etag}, {"data": DETERMINE}),
    }
    return cases[case]


@pytest.mark.parametrize(
    ("case", "who", "status", "code", "error_field"),
    [
        ("unknown_field", "secretary1", 422, "unprocessable_entity", "opinion"),
        ("invalid_form", "secretary1", 422, "form_invalid", "responsibilities"),
        ("missing_data", "secretary1", 422, "unprocessable_entity", "data"),
        ("stale", "secretary1", 409, "stale_submission", None),
        ("missing_if_match", "secretary1", 428, "precondition_required", "If-Match"),
        ("weak_etag", "secretary1", 428, "precondition_required", "If-Match"),
        ("no_token", "secretary1", 401, "not_authenticated", None),
        ("bad_token", "secretary1", 401, "not_authenticated", None),
        ("good", "member9", 403, "not_allowed", None),  # out of role
        ("good", "committee", 403, "not_allowed", None),  # out of role
        ("good", "secretary2", 403, "not_allowed", None),  # other branch
    ],
)
def test_a_refused_completion_stores_nothing(
    client: FlaskClient,
    token: Headers,
    kernel: Kernel,
    case: str,
    who: str,
    status: int,
    code: str,
    error_field: str | None,
) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    etag = etag_of_task(client, token("secretary1"), task.id)
    headers, body = (
        ({**token(who), "If-Match": etag}, {"data": DETERMINE})
        if case == "good"
        else _case(token(who), etag, case)
    )
    with nothing_stored(kernel):
        response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=headers, json=body)
    error = error_of(response)
    assert (response.status_code, error["code"]) == (status, code)
    if error_field:
        assert error_field in str(error["errors"])


def test_completing_an_unknown_task_is_404(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    with nothing_stored(kernel):
        response = client.post(
            "/api/v1/tasks/no-such-task/complete",
            headers={**token("secretary1"), "If-Match": '"1-1"'},
            json={"data": DETERMINE},
        )
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_batch_completion_reports_each_task(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    first = walk_to(kernel, "decision")
    second = walk_to(kernel, "decision", candidate="member5", evaluators=("member6", "member7", "member8"))
    ids = [w.task_of("committee", "Task_committee_decision").id for w in (first, second)]
    response = client.post(
        "/api/v1/tasks/batch-complete",
        headers=token("committee"),
        json={"task_ids": [*ids, "no-such-task", ids[0]], "data": APPROVE},
    )
    assert response.status_code == 200
    report = response.get_json()
    assert (report["completed"], report["failed"]) == (2, 1)
    assert [(r["task_id"], r["ok"]) for r in report["results"]] == [
        (ids[0], True),
        (ids[1], True),
        ("no-such-task", False),
    ]
    assert [r["outcome"]["outcome"] for r in report["results"][:2]] == ["established", "established"]
    assert report["results"][2]["error"]["code"] == "not_found"
    assert report["results"][2]["error"]["status"] == 404 and report["results"][2]["outcome"] is None


def test_a_batch_with_bad_form_data_reports_each_field_and_stores_nothing(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "decision")
    task_id = walk.task_of("committee", "Task_committee_decision").id
    with nothing_stored(kernel):
        response = client.post(
            "/api/v1/tasks/batch-complete",
            headers=token("committee"),
            json={"task_ids": [task_id], "data": {"decision": "approve"}},
        )
    error = response.get_json()["results"][0]["error"]
    assert response.status_code == 200 and (error["code"], error["status"]) == ("form_invalid", 422)
    assert set(error["errors"]) == {"opinion"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"task_ids": [], "data": APPROVE}, "task_ids"),
        ({"task_ids": ["x"], "data": APPROVE, "note": "x"}, "note"),
        ({"data": APPROVE}, "task_ids"),
        ({"task_ids": ["x"]}, "data"),
    ],
)
def test_a_malformed_batch_is_422_and_stores_nothing(
    client: FlaskClient, token: Headers, kernel: Kernel, body: dict[str, Any], field: str
) -> None:
    walk = walk_to(kernel, "decision")
    body = {**body, "task_ids": [walk.task_of("committee").id]} if body.get("task_ids") == ["x"] else body
    with nothing_stored(kernel):
        response = client.post("/api/v1/tasks/batch-complete", headers=token("committee"), json=body)
    assert response.status_code == 422 and field in error_of(response)["errors"]["json"]


def test_the_task_endpoints_need_a_token(client: FlaskClient, kernel: Kernel) -> None:
    walk = walk_to(kernel, "evaluation")
    task_id = walk.task_of("member2").id
    for method, path in [
        ("get", "/api/v1/tasks"),
        ("get", f"/api/v1/tasks/{task_id}"),
        ("post", "/api/v1/tasks/batch-complete"),
    ]:
        for headers in ({}, {"Authorization": "Bearer forged"}):
            response = getattr(client, method)(path, headers=headers, json={})
            assert response.status_code == 401 and error_of(response)["code"] == "not_authenticated", path
