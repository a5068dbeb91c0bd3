"""GET /api/v1/inbox/*, the notifications and the model-post register through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from support import GOOD, CreationWalk
from test_api_support import error_of, nothing_stored, walk_to

from xianfeng.engine.kernel import Kernel

Headers = Callable[[str], dict[str, str]]


def test_done_and_started_follow_what_the_caller_did(
    client: FlaskClient, token: Headers, walk: CreationWalk
) -> None:
    walk.start()
    walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    done = client.get("/api/v1/inbox/done", headers=token("member2")).get_json()
    assert [(d["instance_id"], d["kind"], d["task"]) for d in done] == [
        (walk.instance_id, "complete", "党员测评")
    ]
    started = client.get("/api/v1/inbox/started", headers=token("secretary1")).get_json()
    assert [(s["instance_id"], s["status"]) for s in started] == [(walk.instance_id, "running")]
    assert started[0]["waiting_at"] == ["党员测评", "群众测评"]
    assert client.get("/api/v1/inbox/started", headers=token("secretary2")).get_json() == []
    limited = client.get("/api/v1/inbox/done?limit=1", headers=token("secretary1")).get_json()
    assert [d["kind"] for d in limited] == ["start"]


@pytest.mark.parametrize(
    "path", ["/api/v1/inbox/done", "/api/v1/inbox/started", "/api/v1/inbox/copies", "/api/v1/notifications"]
)
@pytest.mark.parametrize(
    ("query", "field"), [("limit=0", "limit"), ("limit=many", "limit"), ("page=2", "page")]
)
def test_list_queries_are_strict(
    client: FlaskClient, token: Headers, path: str, query: str, field: str
) -> None:
    response = client.get(f"{path}?{query}", headers=token("secretary1"))
    assert response.status_code == 422 and field in error_of(response)["errors"]["query"]


def test_the_counts_and_the_signing_list(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    walk = walk_to(kernel, "decision")
    task_id = walk.task_of("committee").id
    client.post(
        f"/api/v1/tasks/{task_id}/signers",
        headers=token("committee"),
        json={"users": ["member9"], "reason": "请会签"},
    )
    counts = client.get("/api/v1/inbox/counts", headers=token("member9")).get_json()
    assert counts == {"todo": 0, "copies": 0, "signing": 1, "unread": 1}
    signing = client.get("/api/v1/inbox/signing", headers=token("member9")).get_json()
    assert [(s["task_id"], s["task"], s["instance_id"]) for s in signing] == [
        (task_id, "镇党委审批", walk.instance_id)
    ]
    assert client.get("/api/v1/inbox/counts", headers=token("committee")).get_json()["todo"] == 1


def test_notifications_are_listed_and_marked_read(
    client: FlaskClient, token: Headers, walk: CreationWalk
) -> None:
    walk.start()
    notes = client.get("/api/v1/notifications", headers=token("member2")).get_json()
    assert [(n["kind"], n["title"], n["read"], n["instance_id"]) for n in notes] == [
        ("task", "党员测评", False, walk.instance_id)
    ]
    assert client.get("/api/v1/notifications/unread", headers=token("member2")).get_json() == {"unread": 1}
    with nothing_stored(walk.kernel):  # someone else's notification is not theirs to mark
        other = client.post(
            "/api/v1/notifications/read", headers=token("member3"), json={"ids": [notes[0]["id"]]}
        )
    assert other.get_json() == {"marked": 0}
    marked = client.post(
        "/api/v1/notifications/read", headers=token("member2"), json={"ids": [notes[0]["id"]]}
    )
    assert marked.status_code == 200 and marked.get_json() == {"marked": 1}
    assert client.get("/api/v1/notifications", headers=token("member2")).get_json()[0]["read"] is True
    assert client.get("/api/v1/notifications/unread", headers=token("member2")).get_json() == {"unread": 0}


def test_marking_all_notifications_read(client: FlaskClient, token: Headers, walk: CreationWalk) -> None:
    walk.start()
    assert client.post("/api/v1/notifications/read", headers=token("member3"), json={}).get_json() == {
        "marked": 1
    }
    assert client.get("/api/v1/inbox/counts", headers=token("member3")).get_json()["unread"] == 0


@pytest.mark.parametrize(
    ("body", "field"), [({"ids": ["one"]}, "ids"), ({"ids": [1], "all": True}, "all"), ({"ids": "1"}, "ids")]
)
def test_a_malformed_mark_read_is_422_and_stores_nothing(
    client: FlaskClient, token: Headers, walk: CreationWalk, body: dict[str, Any], field: str
) -> None:
    walk.start()
    with nothing_stored(walk.kernel):
        response = client.post("/api/v1/notifications/read", headers=token("member2"), json=body)
    assert response.status_code == 422 and field in error_of(response)["errors"]["json"]


@pytest.fixture
def two_posts(kernel: Kernel) -> list[CreationWalk]:
    """Posts established in branch 1 (member1) and branch 2 (member11)."""
    walks = [
        walk_to(kernel, "decision"),
        walk_to(
            kernel,
            "decision",
            secretary="secretary2",
            candidate="member11",
            evaluators=("member12", "member13", "member14"),
        ),
    ]
    for walk in walks:
        assert walk.decide("approve").outcome == "established"
    return walks


def test_the_register_lists_posts_in_the_callers_scope(
    client: FlaskClient, token: Headers, two_posts: list[CreationWalk]
) -> None:
    posts = client.get("/api/v1/posts", headers=token("auditor")).get_json()
    assert [(p["plate_no"], p["badge_no"], p["branch_id"]) for p in posts] == [
        ("ZA-SFG-2026-0001", "ZA-HZ-2026-0001", 1),
        ("ZA-SFG-2026-0002", "ZA-HZ-2026-0002", 2),
    ]
    assert posts[0]["established_on"].endswith("+08:00") and posts[0]["status"] == "active"
    assert [p["branch_id"] for p in client.get("/api/v1/posts", headers=token("secretary1")).get_json()] == [
        1
    ]
    assert [p["branch_id"] for p in client.get("/api/v1/posts", headers=token("member11")).get_json()] == [2]
    by_branch = client.get("/api/v1/posts?branch_id=2", headers=token("committee")).get_json()
    assert [p["member"] for p in by_branch] == [posts[1]["member"]]
    village = posts[0]["village_id"]
    by_village = client.get(f"/api/v1/posts?village_id={village}", headers=token("committee")).get_json()
    assert [p["id"] for p in by_village] == [posts[0]["id"]]
    assert client.get("/api/v1/posts?status=revoked", headers=token("committee")).get_json() == []


@pytest.mark.parametrize(("query", "field"), [("branch=1", "branch"), ("branch_id=one", "branch_id")])
def test_a_misspelt_register_filter_is_422(
    client: FlaskClient, token: Headers, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/posts?{query}", headers=token("committee"))
    assert response.status_code == 422 and field in error_of(response)["errors"]["query"]


@pytest.mark.parametrize(
    ("who", "which", "status"),
    [
        ("secretary1", 0, 200),
        ("member9", 0, 200),
        ("auditor", 1, 200),
        ("secretary1", 1, 403),
        ("member9", 1, 403),
        ("committee", None, 404),
        (None, 0, 401),
    ],
)
def test_one_post_with_its_creation_instance(
    client: FlaskClient,
    token: Headers,
    two_posts: list[CreationWalk],
    who: str | None,
    which: int | None,
    status: int,
) -> None:
    posts = client.get("/api/v1/posts", headers=token("committee")).get_json()
    post_id = 999 if which is None else posts[which]["id"]
    response = client.get(f"/api/v1/posts/{post_id}", headers=token(who) if who else {})
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["instances"][0]["id"] == two_posts[which or 0].instance_id
    else:
        error_of(response)
