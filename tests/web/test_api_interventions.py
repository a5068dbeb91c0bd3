"""An administrator's interventions through the API: each needs a reason (422, nothing stored),
an administrator (403 for the committee and members, nothing stored) and an existing case or task
(404); each answers the chained event it wrote, and the case's history names the administrator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from intervention_support import (
    DETERMINE,
    DETERMINED,
    PREPARE,
    at_consent,
    make_deputy,
    make_stuck,
    publish_changed_prepare,
    publish_longer_approval,
)
from support import GOOD, CreationWalk
from test_api_support import error_of, nothing_stored, walk_to

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import audit

Headers = Callable[[str], dict[str, str]]
REASON = "候选人已调离本村"


def _requests(walk: CreationWalk, version: int = 2) -> list[tuple[str, dict[str, Any]]]:
    """Every intervention with a good body, on a case waiting for the branch to determine the list
    (a task that may be handed on and completed on someone's behalf)."""
    task = walk.task_of("secretary1", DETERMINE)
    case = f"/api/v1/instances/{walk.instance_id}"
    return [
        (f"{case}/cancel", {"reason": REASON}),
        (f"{case}/suspend", {"reason": "等待上级核查"}),
        (f"{case}/resume", {"reason": "核查完毕了"}),
        (f"{case}/retry", {"reason": "定时器未触发"}),
        (f"{case}/migrate", {"to_version": version, "reason": "按新规定执行"}),
        (f"/api/v1/tasks/{task.id}/reassign", {"to": "member6", "reason": "原办理人住院"}),
        (f"/api/v1/tasks/{task.id}/complete-on-behalf", {"data": dict(DETERMINED), "reason": "代为录入决定"}),
    ]


def _history(client: FlaskClient, token: Headers, instance_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/instances/{instance_id}/history", headers=token("admin"))
    assert response.status_code == 200
    return list(response.get_json())


def test_a_cancellation_answers_its_event_which_the_history_shows_with_the_reason(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "evaluation")
    response = client.post(
        f"/api/v1/instances/{walk.instance_id}/cancel", headers=token("admin"), json={"reason": REASON}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["instance_id"], body["kind"]) == (walk.instance_id, "cancel")
    last = _history(client, token, walk.instance_id)[-1]
    assert (last["seq"], last["kind"], last["actor"], last["role"]) == (
        body["event_seq"],
        "cancel",
        "admin",
        "admin",
    )
    assert last["payload"]["reason"] == REASON
    shown = client.get(f"/api/v1/instances/{walk.instance_id}", headers=token("admin")).get_json()
    assert shown["status"] == "cancelled" and shown["ready_tasks"] == []
    assert audit.verify(kernel).ok


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "unprocessable_entity"),
        ({"reason": "改"}, "unprocessable_entity"),
        ({"reason": "    ", "x": 1}, "unprocessable_entity"),
        ({"reason": "     "}, "rule_violation"),  # long enough for the schema, empty once stripped
    ],
)
def test_an_intervention_without_a_reason_is_refused_and_stores_nothing(
    client: FlaskClient, token: Headers, kernel: Kernel, body: dict[str, Any], code: str
) -> None:
    walk = walk_to(kernel, "determine")
    with nothing_stored(kernel):
        for path, good in _requests(walk):
            sent = {**{k: v for k, v in good.items() if k != "reason"}, **body}
            response = client.post(path, headers=token("admin"), json=sent)
            assert response.status_code == 422, (path, response.get_json())
            assert error_of(response)["code"] == code, path


@pytest.mark.parametrize("username", ["committee", "member2"])
def test_nobody_but_an_administrator_intervenes(
    client: FlaskClient, token: Headers, kernel: Kernel, username: str
) -> None:
    walk = walk_to(kernel, "determine")
    headers = token(username)
    with nothing_stored(kernel):
        for path, body in _requests(walk):
            response = client.post(path, headers=headers, json=body)
            assert response.status_code == 403 and error_of(response)["code"] == "not_allowed", path
        check = client.get(
            f"/api/v1/instances/{walk.instance_id}/migrate/check?to_version=2", headers=headers
        )
        assert check.status_code == 403


def test_an_unknown_case_or_task_is_not_found(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    walk = walk_to(kernel, "determine")
    with nothing_stored(kernel):
        for path, body in _requests(walk):
            unknown = path.replace(f"/instances/{walk.instance_id}/", "/instances/999/").replace(
                walk.task_of("secretary1", DETERMINE).id, "no-such-task"
            )
            response = client.post(unknown, headers=token("admin"), json=body)
            assert response.status_code == 404 and error_of(response)["code"] == "not_found", unknown
        check = client.get("/api/v1/instances/999/migrate/check?to_version=2", headers=token("admin"))
        assert check.status_code == 404


def test_a_case_is_suspended_refused_a_second_suspension_and_resumed(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "determine")
    case = f"/api/v1/instances/{walk.instance_id}"
    task = walk.task_of("secretary1", DETERMINE)
    assert (
        client.post(f"{case}/suspend", headers=token("admin"), json={"reason": "等待上级核查"}).status_code
        == 200
    )
    with nothing_stored(kernel):
        again = client.post(f"{case}/suspend", headers=token("admin"), json={"reason": "再暂停一次"})
        held = client.post(
            f"/api/v1/tasks/{task.id}/complete-on-behalf",
            headers=token("admin"),
            json={"data": dict(DETERMINED), "reason": "代为录入决定"},
        )
    assert again.status_code == 422 and error_of(again)["details"]["status"] == "suspended"
    assert held.status_code == 409 and error_of(held)["code"] == "task_not_ready"
    resumed = client.post(f"{case}/resume", headers=token("admin"), json={"reason": "核查完毕"})
    assert resumed.status_code == 200 and resumed.get_json()["kind"] == "resume"
    assert [e["kind"] for e in _history(client, token, walk.instance_id)][-2:] == ["suspend", "resume"]


def test_a_task_is_given_to_a_person_of_the_cases_branch_only(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "determine")
    make_deputy(kernel, "member6")
    task = walk.task_of("secretary1", DETERMINE)
    path = f"/api/v1/tasks/{task.id}/reassign"
    with nothing_stored(kernel):
        outside = client.post(path, headers=token("admin"), json={"to": "member15", "reason": "换人办理"})
        other = client.post(path, headers=token("admin"), json={"to": "secretary2", "reason": "换人办理"})
        nobody = client.post(path, headers=token("admin"), json={"to": "nobody", "reason": "换人办理"})
    assert outside.status_code == 403 and error_of(outside)["details"]["username"] == "member15"
    assert other.status_code == 403 and error_of(other)["details"]["username"] == "secretary2"
    assert nobody.status_code == 404
    given = client.post(path, headers=token("admin"), json={"to": "member6", "reason": "原办理人住院"})
    assert given.status_code == 200 and given.get_json()["task_id"] == task.id
    assert walk.task_of("member6", DETERMINE).id == task.id
    last = _history(client, token, walk.instance_id)[-1]
    assert (last["kind"], last["actor"], last["payload"]["to"], last["payload"]["reason"]) == (
        "reassign",
        "admin",
        "member6",
        "原办理人住院",
    )


def test_a_task_completed_on_someones_behalf_is_checked_by_its_form(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", DETERMINE)
    path = f"/api/v1/tasks/{task.id}/complete-on-behalf"
    short = {**DETERMINED, "responsibilities": "短"}
    with nothing_stored(kernel):
        bad = client.post(path, headers=token("admin"), json={"data": short, "reason": "代录"})
        worse = client.post(path, headers=token("admin"), json={"data": short, "reason": "代为录入决定"})
    assert bad.status_code == 422 and set(error_of(bad)["errors"]["json"]) == {"reason"}
    assert worse.status_code == 422 and "responsibilities" in error_of(worse)["errors"]
    done = client.post(
        path, headers=token("admin"), json={"data": dict(DETERMINED), "reason": "代为录入决定"}
    )
    assert done.status_code == 200 and done.get_json()["instance_id"] == walk.instance_id
    event = next(e for e in _history(client, token, walk.instance_id) if e["task_id"] == task.id)
    assert (event["kind"], event["actor"], event["payload"]["on_behalf"]) == ("complete", "admin", True)
    assert audit.verify(kernel).ok


def test_an_evaluators_own_evaluation_is_neither_given_away_nor_completed_on_their_behalf(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "evaluation")  # member1 nominated, member2 among the evaluators
    task = walk.task_of("member2", "Task_member_evaluation")
    with nothing_stored(kernel):
        given = [
            client.post(
                f"/api/v1/tasks/{task.id}/reassign",
                headers=token("admin"),
                json={"to": to, "reason": "原测评人住院"},
            )
            for to in ("member6", "member1")  # another member of the branch; the nominee
        ]
        done = client.post(
            f"/api/v1/tasks/{task.id}/complete-on-behalf",
            headers=token("admin"),
            json={"data": dict(GOOD), "reason": "代录纸质测评"},
        )
    for response, verb in [(given[0], "transfer"), (given[1], "transfer"), (done, "delegate")]:
        error = error_of(response)
        assert response.status_code == 403 and error["code"] == "not_allowed"
        assert error["message"].startswith("党员测评 is answered by its own holder only")
        assert (error["details"]["task_id"], error["details"]["verb"]) == (task.id, verb)
    assert walk.task_of("member2", "Task_member_evaluation").id == task.id


def test_the_nominees_consent_is_not_completed_on_their_behalf(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = at_consent(kernel)
    task = walk.task_of("member1", "Task_consent")
    with nothing_stored(kernel):
        done = client.post(
            f"/api/v1/tasks/{task.id}/complete-on-behalf",
            headers=token("admin"),
            json={
                "data": {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"},
                "reason": "本人电话同意",
            },
        )
    assert done.status_code == 403
    assert error_of(done)["message"].startswith("本人确认意愿 is answered by its own holder only")


def test_the_check_names_the_done_step_a_migration_would_change_and_the_migration_is_refused(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = walk_to(kernel, "evaluation")
    version = publish_changed_prepare(kernel)
    case = f"/api/v1/instances/{walk.instance_id}"
    with nothing_stored(kernel):
        check = client.get(f"{case}/migrate/check?to_version={version}", headers=token("admin"))
        refused = client.post(
            f"{case}/migrate", headers=token("admin"), json={"to_version": version, "reason": "尝试迁移"}
        )
        unknown = client.get(f"{case}/migrate/check?to_version=99", headers=token("admin"))
        typed = client.post(
            f"{case}/migrate", headers=token("admin"), json={"to_version": "2", "reason": "尝试迁移"}
        )
        extra = client.get(f"{case}/migrate/check?to_version={version}&x=1", headers=token("admin"))
    found = check.get_json()
    assert check.status_code == 200 and found["allowed"] is False
    assert {"element": PREPARE, "reason": "done here, and the new version changes it"} in found["blockers"]
    assert refused.status_code == 422 and error_of(refused)["code"] == "migration_refused"
    assert PREPARE in error_of(refused)["message"]
    assert unknown.status_code == 404
    assert typed.status_code == 422 and "to_version" in error_of(typed)["errors"]["json"]  # strict int
    assert extra.status_code == 422


def test_an_allowed_migration_moves_the_case_and_verifies(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    walk = at_consent(kernel)
    version = publish_longer_approval(kernel)
    case = f"/api/v1/instances/{walk.instance_id}"
    check = client.get(f"{case}/migrate/check?to_version={version}", headers=token("admin"))
    assert check.status_code == 200 and check.get_json() == {"allowed": True, "reasons": [], "blockers": []}
    moved = client.post(
        f"{case}/migrate", headers=token("admin"), json={"to_version": version, "reason": "按新规定执行"}
    )
    assert moved.status_code == 200 and moved.get_json()["kind"] == "migrate"
    shown = client.get(case, headers=token("admin")).get_json()
    assert shown["process_version"]["version"] == version
    assert audit.verify(kernel).ok


def test_a_stuck_case_is_retried_once(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    walk = walk_to(kernel, "evaluation")
    make_stuck(kernel, walk.instance_id)
    path = f"/api/v1/instances/{walk.instance_id}/retry"
    done = client.post(path, headers=token("admin"), json={"reason": "定时器未触发，手动重试"})
    assert done.status_code == 200 and done.get_json()["kind"] == "retry"
    with nothing_stored(kernel):
        again = client.post(path, headers=token("admin"), json={"reason": "再重试一次"})
    assert again.status_code == 422 and error_of(again)["code"] == "rule_violation"
    last = _history(client, token, walk.instance_id)[-1]
    assert (last["kind"], last["payload"]["retry"]) == ("tick", True)
