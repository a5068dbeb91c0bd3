"""POST /api/v1/processes/{key}/instances and GET /api/v1/instances/{id}[/history|/diagram|/links]."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from support import CreationWalk
from test_api_support import error_of, nothing_stored, walk_to

from xianfeng.engine.kernel import Kernel

Headers = Callable[[str], dict[str, str]]
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")
START_PATH = "/api/v1/processes/model_post_creation/instances"


def test_starting_answers_201_with_the_location_of_the_instance(
    client: FlaskClient, token: Headers, walk: CreationWalk
) -> None:
    response = client.post(START_PATH, headers=token("secretary1"), json={"data": walk.nomination()})
    assert response.status_code == 201
    outcome = response.get_json()
    assert response.headers["Location"] == f"/api/v1/instances/{outcome['instance_id']}"
    assert (outcome["status"], outcome["version"]) == ("running", 1)
    assert sorted({t["spec_id"] for t in outcome["next_tasks"]}) == [
        "Task_member_evaluation",
        "Task_public_evaluation",
    ]
    assert len(outcome["next_tasks"]) == 3 + 5
    shown = client.get(response.headers["Location"], headers=token("secretary1"))
    assert shown.status_code == 200 and shown.get_json()["status"] == "running"


@pytest.mark.parametrize(
    ("who", "path", "body", "status", "code", "field"),
    [
        ("member9", START_PATH, "good", 403, "not_allowed", None),
        ("committee", START_PATH, "good", 403, "not_allowed", None),
        ("auditor", START_PATH, "good", 403, "not_allowed", None),
        ("secretary1", START_PATH, {"post_title": None}, 422, "form_invalid", "post_title"),
        ("secretary1", START_PATH, {"member_evaluators": [5]}, 422, "form_invalid", "member_evaluators"),
        ("secretary1", START_PATH, "unknown_field", 422, "unprocessable_entity", "title"),
        ("secretary1", "/api/v1/processes/no_such_process/instances", "good", 404, "not_found", None),
        (None, START_PATH, "good", 401, "not_authenticated", None),
    ],
)
def test_a_refused_start_stores_nothing(
    client: FlaskClient,
    token: Headers,
    walk: CreationWalk,
    who: str | None,
    path: str,
    body: Any,
    status: int,
    code: str,
    field: str | None,
) -> None:
    data = walk.nomination()
    if isinstance(body, dict):
        data = {k: v for k, v in {**data, **body}.items() if v is not None}
    payload = {"data": data, "title": "x"} if body == "unknown_field" else {"data": data}
    with nothing_stored(walk.kernel):
        response = client.post(path, headers=token(who) if who else {}, json=payload)
    error = error_of(response)
    assert (response.status_code, error["code"]) == (status, code)
    if field:
        assert field in str(error["errors"])


def test_an_instance_shows_state_ready_tasks_and_the_pinned_version(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "determine")
    shown = client.get(f"/api/v1/instances/{walk.instance_id}", headers=token("auditor")).get_json()
    assert (shown["id"], shown["process_key"], shown["status"], shown["branch_id"]) == (
        walk.instance_id,
        "model_post_creation",
        "running",
        1,
    )
    assert [t["name"] for t in shown["ready_tasks"]] == ["支部确定名单"]
    assert shown["version"] == walk.task_of("secretary1").instance_version
    assert shown["process_version"]["version"] == 1 and len(shown["process_version"]["bundle_hash"]) == 64
    assert "Task_consent" in shown["completed_elements"] and shown["data"]["willing"] is True
    assert OFFSET.match(shown["started_at"]) and shown["ended_at"] is None


def test_the_history_is_the_chained_log(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    walk = walk_to(kernel, "determine")
    events = client.get(
        f"/api/v1/instances/{walk.instance_id}/history", headers=token("secretary1")
    ).get_json()
    assert events[0]["kind"] == "start" and events[0]["actor"] == "secretary1"
    assert [e["instance_version"] for e in events] == list(range(1, len(events) + 1))
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(events))
    assert events[-1]["kind"] == "complete" and events[-1]["payload"]["data"]["willing"] is True
    assert OFFSET.match(events[-1]["business_time"])


def test_the_diagram_gives_pinned_files_and_progress(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "evaluation")
    view = client.get(f"/api/v1/instances/{walk.instance_id}/diagram", headers=token("committee")).get_json()
    assert set(view["diagrams"]) == {
        "model_post_creation.bpmn",
        "nominee_evaluation.bpmn",
        "public_notice.bpmn",
        "approval.bpmn",
    }
    assert "bpmndi:BPMNDiagram" in view["diagrams"]["model_post_creation.bpmn"]
    assert "Start_nomination" in view["completed"]
    assert set(view["current"]) == {
        "Call_evaluation",  # the call activity the evaluation runs in, and its deadline, are current too
        "Timer_evaluation_deadline",
        "Task_member_evaluation",
        "Task_public_evaluation",
    }


def test_the_links_are_the_open_single_use_ones(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    walk = walk_to(kernel, "evaluation")
    path = f"/api/v1/instances/{walk.instance_id}/links"
    links = client.get(path, headers=token("secretary1")).get_json()
    assert len(links) == 5 and {(link["kind"], link["task"]) for link in links} == {("task", "群众测评")}
    assert all(OFFSET.match(link["expires_at"]) for link in links)
    assert [link["token"] for link in links] == walk.public_tokens()
    walk.evaluate()
    assert client.get(path, headers=token("secretary1")).get_json() == []


@pytest.mark.parametrize("suffix", ["", "/history", "/diagram", "/links"])
@pytest.mark.parametrize(
    ("who", "instance", "status", "code"),
    [
        ("secretary2", None, 403, "not_allowed"),
        ("member11", None, 403, "not_allowed"),
        ("secretary1", 999, 404, "not_found"),
        (None, None, 401, "not_authenticated"),
    ],
)
def test_reading_an_instance_is_refused_outside_its_scope(
    client: FlaskClient,
    token: Headers,
    walk: CreationWalk,
    suffix: str,
    who: str | None,
    instance: int | None,
    status: int,
    code: str,
) -> None:
    walk.start()
    response = client.get(
        f"/api/v1/instances/{instance or walk.instance_id}{suffix}", headers=token(who) if who else {}
    )
    assert (response.status_code, error_of(response)["code"]) == (status, code)
