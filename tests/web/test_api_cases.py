"""GET /api/v1/instances: the case list over the API — the same filters as query parameters, a
page of cases with its `next` cursor and the total, strict parameters, refusals as JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from support import CreationWalk
from test_api_support import error_of

from xianfeng.engine.kernel import Kernel

Headers = Callable[[str], dict[str, str]]


def _nominations(kernel: Kernel, *candidates: str) -> list[int]:
    ids = []
    for candidate in candidates:
        # The nominee never evaluates their own nomination.
        evaluators = tuple(u for u in ("member2", "member3", "member4", "member5") if u != candidate)[:3]
        walk = CreationWalk(kernel, candidate=candidate, evaluators=evaluators)
        walk.start()
        ids.append(walk.instance_id)
    return ids


def _get(client: FlaskClient, headers: dict[str, str], query: str) -> Any:
    return client.get(f"/api/v1/instances{query}", headers=headers)


def test_the_api_pages_through_every_case_with_its_cursor_and_total(
    kernel: Kernel, client: FlaskClient, token: Headers
) -> None:
    ids = _nominations(kernel, "member1", "member2", "member3")
    auditor = token("auditor")
    first = _get(client, auditor, "?procedure=model_post_creation&limit=2").get_json()
    assert [case["id"] for case in first["cases"]] == [ids[2], ids[1]]
    assert (first["total"], first["limit"], first["previous"]) == (3, 2, None)
    second = _get(client, auditor, f"?procedure=model_post_creation&limit=2&after={first['next']}").get_json()
    assert [case["id"] for case in second["cases"]] == [ids[0]] and second["next"] is None
    case = second["cases"][0]
    assert case["status"] == "running" and case["branch"] == "治安村党支部"
    assert case["started_at"].endswith("+08:00") and case["ended_at"] is None
    assert {step["role"] for step in case["waiting"]} == {"member", "public"}


def test_an_outcome_filter_finds_the_lapsed_nomination_with_its_end_events_name(
    kernel: Kernel, client: FlaskClient, token: Headers
) -> None:
    walk = CreationWalk(kernel, candidate="member6")
    walk.start()
    walk.pass_notice()  # too few evaluated: the branch lets the nomination lapse
    walk.complete(
        walk.secretary, {"extend": False, "reason": "参加测评人数不足，不再延长"}, "Task_extend_evaluation"
    )
    _nominations(kernel, "member1")
    body = _get(client, token("committee"), "?outcome=evaluation_lapsed&started_from=2026-11-25").get_json()
    assert [(c["id"], c["outcome_name"], c["end_event"]) for c in body["cases"]] == [
        (walk.instance_id, "测评逾期，推荐失效", "End_evaluation_lapsed")
    ]


def test_parameters_are_strict_and_refusals_name_the_field(
    kernel: Kernel, client: FlaskClient, token: Headers
) -> None:
    auditor = token("auditor")
    unknown = _get(client, auditor, "?branch=1")
    assert unknown.status_code == 422 and "branch" in error_of(unknown)["errors"]["query"]
    for value in ("1.0", "+1", "%201", "1_0", "-1"):
        response = _get(client, auditor, f"?branch_id={value}")
        assert response.status_code == 422, value
        assert "branch_id" in error_of(response)["errors"]["query"], value
    too_many = _get(client, auditor, "?limit=201")
    assert too_many.status_code == 422 and "limit" in error_of(too_many)["errors"]["query"]
    bad_day = _get(client, auditor, "?started_from=2026-02-30")
    assert bad_day.status_code == 422 and "started_from" in error_of(bad_day)["errors"]["query"]
    unknown_status = _get(client, auditor, "?status=finished&after=nonsense")
    error = error_of(unknown_status)
    assert unknown_status.status_code == 422 and error["code"] == "form_invalid"
    assert set(error["errors"]) == {"after", "status"} and "running" in error["errors"]["status"]


def test_a_member_is_refused_and_a_branch_may_not_name_another_branch(
    kernel: Kernel, client: FlaskClient, token: Headers
) -> None:
    member = _get(client, token("member1"), "")
    assert member.status_code == 403 and error_of(member)["code"] == "not_allowed"
    other = _get(client, token("secretary2"), "?branch_id=1")
    assert other.status_code == 403 and error_of(other)["code"] == "not_allowed"
    own = _get(client, token("secretary2"), "?branch_id=2")
    assert own.status_code == 200 and own.get_json()["total"] == 0


def test_the_openapi_document_describes_the_search(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/instances"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(parameters) == {
        "procedure",
        "status",
        "outcome",
        "branch_id",
        "village_id",
        "member_id",
        "started_from",
        "started_to",
        "q",
        "after",
        "before",
        "limit",
    }
    assert parameters["branch_id"]["schema"]["type"] == "integer"
    assert parameters["started_from"]["schema"]["format"] == "date"
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"cases", "total", "next", "previous"} <= set(
        document["components"]["schemas"][page]["properties"]
    )
