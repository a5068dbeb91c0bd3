"""The approver verbs through the API: return, transfer, delegate/resolve, signers/sign, urge, copies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from test_api_support import (
    APPROVE,
    DETERMINE,
    add_deputy,
    error_of,
    etag_of_task,
    nothing_stored,
    walk_to,
    with_if_match,
)

from xianfeng.engine.kernel import Kernel

Headers = Callable[[str], dict[str, str]]


def _post(client: FlaskClient, path: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post(path, headers=headers, json=body)


def test_return_sends_the_case_back_to_the_nominee(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    headers = with_if_match(token("secretary1"), etag_of_task(client, token("secretary1"), task.id))
    response = _post(
        client, f"/api/v1/tasks/{task.id}/return", headers, {"target": "Task_consent", "reason": "请补充承诺"}
    )
    assert response.status_code == 200
    assert [t["spec_id"] for t in response.get_json()["next_tasks"]] == ["Task_consent"]
    assert [t["spec_id"] for t in client.get("/api/v1/tasks", headers=token("member1")).get_json()] == [
        "Task_consent"
    ]


@pytest.mark.parametrize(
    ("body", "if_match", "status", "code"),
    [
        ({"target": "Task_consent"}, "good", 422, "unprocessable_entity"),  # missing reason
        ({"target": "Task_consent", "reason": " "}, "good", 422, "unprocessable_entity"),
        ({"target": "Task_consent", "reason": "  好 "}, "good", 422, "rule_violation"),  # engine strips
        ({"target": "Task_consent", "reason": "请补充", "x": 1}, "good", 422, "unprocessable_entity"),
        ({"target": "Start_nomination", "reason": "重新提名"}, "good", 422, "rule_violation"),
        ({"target": "Task_consent", "reason": "请补充"}, "stale", 409, "stale_submission"),
        ({"target": "Task_consent", "reason": "请补充"}, None, 428, "precondition_required"),
    ],
)
def test_a_refused_return_stores_nothing(
    client: FlaskClient,
    token: Headers,
    kernel: Kernel,
    body: dict[str, Any],
    if_match: str | None,
    status: int,
    code: str,
) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    headers = token("secretary1")
    if if_match == "good":
        headers = with_if_match(headers, f'"{walk.instance_id}-{task.instance_version}"')
    elif if_match == "stale":
        headers = with_if_match(headers, f'"{walk.instance_id}-{task.instance_version - 1}"')
    with nothing_stored(kernel):
        response = _post(client, f"/api/v1/tasks/{task.id}/return", headers, body)
    assert (response.status_code, error_of(response)["code"]) == (status, code)


def test_transfer_hands_the_task_to_another_branch_officer(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "determine")
    add_deputy(kernel, "deputy1", branch_id=1)
    task = walk.task_of("secretary1", "Task_determine_list")
    body = {"to": "deputy1", "reason": "书记外出，请代办"}
    response = _post(client, f"/api/v1/tasks/{task.id}/transfer", token("secretary1"), body)
    assert response.status_code == 200
    assert response.get_json() | {"event_seq": 0} == {
        "instance_id": walk.instance_id,
        "task_id": task.id,
        "kind": "transfer",
        "event_seq": 0,
        "notified": 1,
    }
    assert [t["id"] for t in client.get("/api/v1/tasks", headers=token("deputy1")).get_json()] == [task.id]
    assert client.get("/api/v1/tasks", headers=token("secretary1")).get_json() == []


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("secretary1", {"to": "deputy1"}, 422, "unprocessable_entity"),  # missing reason
        ("secretary1", {"to": "member9", "reason": "请代办"}, 403, "not_allowed"),  # lacks the role
        ("secretary1", {"to": "deputy2", "reason": "请代办"}, 403, "not_allowed"),  # other branch
        ("secretary1", {"to": "nobody", "reason": "请代办"}, 404, "not_found"),
        ("secretary1", {"to": "secretary1", "reason": "请代办"}, 422, "rule_violation"),
        ("secretary2", {"to": "deputy1", "reason": "请代办"}, 403, "not_allowed"),
        ("member9", {"to": "deputy1", "reason": "请代办"}, 403, "not_allowed"),
    ],
)
def test_a_refused_transfer_stores_nothing(
    client: FlaskClient,
    token: Headers,
    kernel: Kernel,
    who: str,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    walk = walk_to(kernel, "determine")
    add_deputy(kernel, "deputy1", branch_id=1)
    add_deputy(kernel, "deputy2", branch_id=2)
    task = walk.task_of("secretary1", "Task_determine_list")
    headers = token(who)
    with nothing_stored(kernel):
        response = _post(client, f"/api/v1/tasks/{task.id}/transfer", headers, body)
    assert (response.status_code, error_of(response)["code"]) == (status, code)


def test_a_delegated_task_comes_back_with_an_opinion_and_is_then_completed(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    path = f"/api/v1/tasks/{task.id}"
    etag = etag_of_task(client, token("secretary1"), task.id)  # verbs do not make it stale
    delegated = _post(
        client, f"{path}/delegate", token("secretary1"), {"to": "member9", "reason": "请先核实"}
    )
    assert delegated.status_code == 200 and delegated.get_json()["kind"] == "delegate"
    assert client.get(path, headers=token("member9")).get_json()["verbs"] == ["resolve"]
    owner_view = client.get(path, headers=token("secretary1"))  # the owner still sees it, and may only urge
    assert owner_view.status_code == 200 and owner_view.get_json()["verbs"] == ["urge"]
    with nothing_stored(kernel):
        blocked = _post(
            client, f"{path}/complete", with_if_match(token("secretary1"), etag), {"data": DETERMINE}
        )
        no_opinion = _post(client, f"{path}/resolve", token("member9"), {})
        not_delegate = _post(client, f"{path}/resolve", token("member8"), {"opinion": "已核实"})
    assert (blocked.status_code, error_of(blocked)["code"]) == (403, "not_allowed")
    assert no_opinion.status_code == 422 and "opinion" in error_of(no_opinion)["errors"]["json"]
    assert not_delegate.status_code == 403
    resolved = _post(client, f"{path}/resolve", token("member9"), {"opinion": "已核实，情况属实"})
    assert resolved.status_code == 200 and resolved.get_json()["notified"] == 1
    done = _post(client, f"{path}/complete", with_if_match(token("secretary1"), etag), {"data": DETERMINE})
    assert done.status_code == 200


def test_co_signers_sign_before_the_committee_completes(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    path = f"/api/v1/tasks/{task.id}"
    with nothing_stored(kernel):
        no_reason = _post(client, f"{path}/signers", token("committee"), {"users": ["member9"]})
        no_users = _post(client, f"{path}/signers", token("committee"), {"users": [], "reason": "请会签"})
    assert no_reason.status_code == 422 and "reason" in error_of(no_reason)["errors"]["json"]
    assert no_users.status_code == 422 and "users" in error_of(no_users)["errors"]["json"]
    added = _post(client, f"{path}/signers", token("committee"), {"users": ["member9"], "reason": "请会签"})
    assert added.status_code == 200 and added.get_json()["kind"] == "add_signer"
    etag = etag_of_task(client, token("committee"), task.id)
    with nothing_stored(kernel):
        early = _post(client, f"{path}/complete", with_if_match(token("committee"), etag), {"data": APPROVE})
    assert (early.status_code, error_of(early)["code"]) == (422, "rule_violation")
    waiting = client.get("/api/v1/inbox/signing", headers=token("member9")).get_json()
    assert [(w["task_id"], w["reason"]) for w in waiting] == [(task.id, "请会签")]
    signed = _post(client, f"{path}/sign", token("member9"), {"opinion": "同意设立"})
    assert signed.status_code == 200 and signed.get_json()["kind"] == "sign"
    view = client.get(path, headers=token("committee")).get_json()
    assert view["signers"][0]["signed"] is True and view["signers"][0]["opinion"] == "同意设立"
    done = _post(client, f"{path}/complete", with_if_match(token("committee"), etag), {"data": APPROVE})
    assert done.status_code == 200 and done.get_json()["outcome"] == "established"


def test_only_a_requested_co_signer_may_sign(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    with nothing_stored(kernel):
        response = _post(client, f"/api/v1/tasks/{task.id}/sign", token("member9"), {"opinion": "同意"})
    assert (response.status_code, error_of(response)["code"]) == (403, "not_allowed")


def test_urging_notifies_once_an_hour(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    path = f"/api/v1/tasks/{task.id}/urge"
    first = _post(client, path, token("secretary1"), {"note": "请尽快审批"})
    assert first.status_code == 200 and first.get_json()["notified"] == 1
    notes = client.get("/api/v1/notifications", headers=token("committee")).get_json()
    assert [(n["kind"], n["body"]) for n in notes if n["kind"] == "urge"] == [("urge", "请尽快审批")]
    with nothing_stored(kernel):
        again = _post(client, path, token("secretary1"), {})
        stranger = _post(client, path, token("member9"), {})
        unknown = _post(client, path, token("secretary1"), {"note": "x", "priority": 1})
    assert (again.status_code, error_of(again)["code"]) == (422, "rule_violation")
    assert (stranger.status_code, error_of(stranger)["code"]) == (403, "not_allowed")
    assert unknown.status_code == 422 and "priority" in error_of(unknown)["errors"]["json"]


def test_a_copy_appears_under_copied_to_me(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    walk = walk_to(kernel, "evaluation")
    path = f"/api/v1/instances/{walk.instance_id}/copies"
    response = _post(client, path, token("secretary1"), {"users": ["member9"], "note": "请关注"})
    assert response.status_code == 200 and response.get_json()["kind"] == "copy"
    copies = client.get("/api/v1/inbox/copies", headers=token("member9")).get_json()
    assert [(c["instance_id"], c["note"], c["read"]) for c in copies] == [(walk.instance_id, "请关注", False)]
    assert copies[0]["from"].startswith("黄德胜")


@pytest.mark.parametrize(
    ("who", "instance", "body", "status", "code"),
    [
        ("secretary2", None, {"users": ["member9"]}, 403, "not_allowed"),
        ("secretary1", None, {"users": []}, 422, "unprocessable_entity"),
        ("secretary1", None, {"users": ["nobody"]}, 404, "not_found"),
        ("secretary1", None, {"users": ["member9"], "cc": ["member8"]}, 422, "unprocessable_entity"),
        ("secretary1", 999, {"users": ["member9"]}, 404, "not_found"),
    ],
)
def test_a_refused_copy_stores_nothing(
    client: FlaskClient,
    token: Headers,
    kernel: Kernel,
    who: str,
    instance: int | None,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    walk = walk_to(kernel, "evaluation")
    with nothing_stored(kernel):
        response = _post(client, f"/api/v1/instances/{instance or walk.instance_id}/copies", token(who), body)
    assert (response.status_code, error_of(response)["code"]) == (status, code)


@pytest.mark.parametrize("verb", ["return", "transfer", "delegate", "resolve", "signers", "sign", "urge"])
def test_a_verb_on_an_unknown_task_is_404(
    client: FlaskClient, token: Headers, kernel: Kernel, verb: str
) -> None:
    bodies: dict[str, dict[str, Any]] = {
        "return": {"target": "Task_consent", "reason": "请补充"},
        "transfer": {"to": "secretary1", "reason": "请代办"},
        "delegate": {"to": "secretary1", "reason": "请代办"},
        "resolve": {"opinion": "已核实"},
        "signers": {"users": ["secretary1"], "reason": "请会签"},
        "sign": {"opinion": "同意"},
        "urge": {},
    }
    headers = with_if_match(token("committee"), '"1-1"')
    with nothing_stored(kernel):
        response = _post(client, f"/api/v1/tasks/no-such-task/{verb}", headers, bodies[verb])
    assert (response.status_code, error_of(response)["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("verb", "body", "field"),
    [
        ("return", {"target": "Task_consent"}, "reason"),
        ("transfer", {"to": "deputy1"}, "reason"),
        ("delegate", {"to": "member9"}, "reason"),
        ("signers", {"users": ["member9"]}, "reason"),
        ("resolve", {}, "opinion"),
        ("sign", {}, "opinion"),
        ("delegate", {"to": "member9", "reason": "x"}, "reason"),  # too short
    ],
)
def test_a_verb_without_its_reason_is_422_naming_it(
    client: FlaskClient, token: Headers, kernel: Kernel, verb: str, body: dict[str, Any], field: str
) -> None:
    walk = walk_to(kernel, "determine")
    add_deputy(kernel, "deputy1", branch_id=1)
    task = walk.task_of("secretary1", "Task_determine_list")
    headers = with_if_match(token("secretary1"), f'"{walk.instance_id}-{task.instance_version}"')
    with nothing_stored(kernel):
        response = _post(client, f"/api/v1/tasks/{task.id}/{verb}", headers, body)
    assert response.status_code == 422 and list(error_of(response)["errors"]["json"]) == [field]
