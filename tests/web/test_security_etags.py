"""Per-task ETags (issue 12, finding 9): completing one evaluator's task does not make another's open
page stale (191 of 250 submissions were refused so before); a real conflict on the same task, or a
page of a task that a return made ready again, is still 409 and stores nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from support import GOOD, CreationWalk, actor, ready_rows
from test_pages_support import hidden, nothing_stored, post, text

from xianfeng.engine.errors import StaleSubmission
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import audit, tasks, verbs

Login = Callable[[str], FlaskClient]
Token = Callable[[str], dict[str, str]]
EVALUATORS = ("member2", "member3", "member4")
SCORES = {name: str(score) for name, score in GOOD.items()}


def _started(kernel: Kernel) -> CreationWalk:
    walk = CreationWalk(kernel)
    walk.start()
    return walk


def test_three_evaluators_who_opened_their_forms_together_all_submit(kernel: Kernel, login: Login) -> None:
    walk = _started(kernel)
    opened = []
    for member in EVALUATORS:
        client, task = login(member), walk.task_of(member, "Task_member_evaluation")
        page = text(client.get(f"/tasks/{task.id}"))
        opened.append((client, task.id, hidden(page, "expected_version")))
    assert len({version for _, _, version in opened}) == 1  # all read the same state
    for client, task_id, version in opened:
        response = post(client, f"/tasks/{task_id}", {**SCORES, "expected_version": version})
        assert response.status_code == 302, text(response)
    left = [row.spec_id for row in ready_rows(kernel, walk.instance_id)]
    assert "Task_member_evaluation" not in left
    assert audit.verify(kernel).ok


def test_three_evaluators_complete_through_the_api_with_the_etags_they_read(
    client: FlaskClient, token: Token, kernel: Kernel
) -> None:
    walk = _started(kernel)
    read = []
    for member in EVALUATORS:
        task = walk.task_of(member, "Task_member_evaluation")
        response = client.get(f"/api/v1/tasks/{task.id}", headers=token(member))
        read.append((member, task.id, response.headers["ETag"]))
    for member, task_id, etag in read:
        done = client.post(
            f"/api/v1/tasks/{task_id}/complete",
            headers={**token(member), "If-Match": etag},
            json={"data": GOOD},
        )
        assert done.status_code == 200, done.get_json()


def test_the_same_task_submitted_twice_is_taken_once_and_the_second_is_a_conflict(
    kernel: Kernel, login: Login
) -> None:
    walk = _started(kernel)
    task = walk.task_of("member2", "Task_member_evaluation")
    tab, other_tab = login("member2"), login("member2")
    versions = [hidden(text(c.get(f"/tasks/{task.id}")), "expected_version") for c in (tab, other_tab)]
    first = post(tab, f"/tasks/{task.id}", {**SCORES, "expected_version": versions[0]})
    assert first.status_code == 302
    with nothing_stored(kernel):
        second = post(other_tab, f"/tasks/{task.id}", {**SCORES, "expected_version": versions[1]})
    assert second.status_code == 409 and "member2" in text(second)


def test_the_same_task_twice_through_the_api_is_one_completion_and_one_409(
    client: FlaskClient, token: Token, kernel: Kernel
) -> None:
    walk = _started(kernel)
    task = walk.task_of("member3", "Task_member_evaluation")
    etag = client.get(f"/api/v1/tasks/{task.id}", headers=token("member3")).headers["ETag"]
    headers = {**token("member3"), "If-Match": etag}
    path = f"/api/v1/tasks/{task.id}/complete"
    assert client.post(path, headers=headers, json={"data": GOOD}).status_code == 200
    with nothing_stored(kernel):
        again = client.post(path, headers=headers, json={"data": GOOD})
    assert again.status_code == 409 and again.get_json()["code"] == "stale_submission"


def test_a_page_of_a_task_that_a_return_made_ready_again_is_stale(kernel: Kernel) -> None:
    """The same task (same id) runs again after a return: a page read during its earlier run must
    not complete the new one, whose page shows the reason for the return."""
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    consent = walk.task_of(walk.candidate, "Task_consent")
    walk.consent()
    determine = walk.task_of("secretary1", "Task_determine_list")
    verbs.return_to(
        kernel,
        actor(kernel, "secretary1"),
        determine.id,
        "Task_consent",
        "请补充公开承诺",
        determine.instance_version,
    )
    again = walk.task_of(walk.candidate, "Task_consent")
    assert again.id == consent.id and again.instance_version > consent.instance_version
    pledge = {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"}
    with nothing_stored(kernel), pytest.raises(StaleSubmission, match="ready again"):
        tasks.complete(
            kernel,
            actor(kernel, walk.candidate),
            consent.id,
            pledge,
            expected_version=consent.instance_version,
        )
    walk.consent()  # with the page of the new run it goes through
