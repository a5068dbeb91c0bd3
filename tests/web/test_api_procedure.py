"""The creation procedure walked through the API only, from the nomination to the register.

Only what has no API is done otherwise: villagers answer through their single-use links (a public
page, so `tasks.complete_by_token` here), and time passes by moving the manual clock and ticking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from support import GOOD, CreationWalk

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import audit, tasks, timers

Headers = Callable[[str], dict[str, str]]


class Person:
    """Someone using the API with their own token, the way a client application would."""

    def __init__(self, client: FlaskClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def get(self, path: str) -> Any:
        response = self.client.get(path, headers=self.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def act(self, instance_id: int, spec_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Find the task in the to-do list, open it for its ETag, complete it with that ETag."""
        mine = [
            t
            for t in self.get("/api/v1/tasks")
            if t["instance_id"] == instance_id and t["spec_id"] == spec_id
        ]
        assert len(mine) == 1, mine
        opened = self.client.get(f"/api/v1/tasks/{mine[0]['id']}", headers=self.headers)
        assert "complete" in opened.get_json()["verbs"]
        response = self.client.post(
            f"/api/v1/tasks/{mine[0]['id']}/complete",
            headers={**self.headers, "If-Match": opened.headers["ETag"]},
            json={"data": data},
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def test_a_model_post_is_created_through_the_api(client: FlaskClient, token: Headers, kernel: Kernel) -> None:
    secretary, committee = Person(client, token("secretary1")), Person(client, token("committee"))
    started = client.post(
        "/api/v1/processes/model_post_creation/instances",
        headers=secretary.headers,
        json={"data": CreationWalk(kernel).nomination()},
    )
    assert started.status_code == 201
    instance_id = started.get_json()["instance_id"]
    for evaluator in ("member2", "member3", "member4"):
        Person(client, token(evaluator)).act(instance_id, "Task_member_evaluation", dict(GOOD))
    links = secretary.get(f"/api/v1/instances/{instance_id}/links")
    assert len(links) == 5
    for link in links:
        tasks.complete_by_token(kernel, link["token"], dict(GOOD))
    shown = secretary.get(f"/api/v1/instances/{instance_id}")
    assert [t["element"] for t in shown["timers"]] == [
        "Gateway_notice_wait"
    ]  # the notice waits: timer or objection
    notice_end = dt.datetime.fromisoformat(shown["timers"][0]["due_at"])
    kernel.clock.set(notice_end + dt.timedelta(seconds=1))
    assert timers.tick(kernel).fired
    consent = {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"}
    Person(client, token("member1")).act(instance_id, "Task_consent", consent)
    listed = {
        "include": True,
        "post_title": "便民服务示范岗",
        "responsibilities": "负责村便民服务站日常工作，每周两次入户走访。",
    }
    secretary.act(instance_id, "Task_determine_list", listed)
    approved = committee.act(
        instance_id, "Task_committee_decision", {"decision": "approve", "opinion": "同意设立"}
    )

    assert (approved["status"], approved["outcome"], approved["next_tasks"]) == (
        "completed",
        "established",
        [],
    )
    posts = committee.get("/api/v1/posts")
    assert [(p["plate_no"], p["title"], p["creation_instance_id"]) for p in posts] == [
        ("ZA-SFG-2026-0001", "便民服务示范岗", instance_id)
    ]
    assert secretary.get(f"/api/v1/posts/{posts[0]['id']}")["badge_no"] == "ZA-HZ-2026-0001"
    _check_the_record(secretary, committee, kernel, instance_id)


def _check_the_record(secretary: Person, committee: Person, kernel: Kernel, instance_id: int) -> None:
    """The log says who did what, the lists agree, and the chain verifies."""
    events = committee.get(f"/api/v1/instances/{instance_id}/history")
    people = [(e["kind"], e["actor"]) for e in events if e["kind"] == "complete" and e["actor"] != "public"]
    assert people == [
        ("complete", "member2"),
        ("complete", "member3"),
        ("complete", "member4"),
        ("complete", "member1"),
        ("complete", "secretary1"),
        ("complete", "committee"),
    ]
    assert sum(e["actor"] == "public" for e in events) == 5 and "tick" in {e["kind"] for e in events}
    assert secretary.get("/api/v1/inbox/started")[0]["outcome"] == "established"
    assert committee.get("/api/v1/inbox/done")[0]["task"] == "镇党委审批"
    assert committee.get("/api/v1/tasks") == [] and secretary.get("/api/v1/tasks") == []
    assert secretary.get(f"/api/v1/instances/{instance_id}/diagram")["current"] == []
    assert audit.verify(kernel).ok
