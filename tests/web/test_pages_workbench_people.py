"""The person picker of 转办, 委派, 加签 and 抄送 (issue 13, part A): a search by name within the scope
each verb allows, showing branch and role, the same for pages and for GET /api/v1/people; the
verbs take the ids it answers; whom a verb may not reach is neither offered nor accepted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from nomination_support import add_deputy
from support import actor
from test_pages_support import nothing_stored, post, text, walk_to

from xianfeng.engine.kernel import Kernel

Login = Callable[[str], FlaskClient]
Token = Callable[[str], dict[str, str]]


def _names(found: Any) -> list[str]:
    return [person["name"] for person in found]


def test_the_search_offers_whom_each_verb_may_reach_by_name_with_branch_and_role(
    kernel: Kernel, login: Login
) -> None:
    add_deputy(kernel)
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    secretary = login("secretary1")
    transfer = secretary.get(f"/people/search?for=transfer&task={task.id}").get_json()
    assert _names(transfer) == ["deputy1（支委）"]  # only the branch's other 支委 holds the role
    assert transfer[0]["branch"] == "治安村党支部" and transfer[0]["roles"] == "党支部、党员"
    delegate = _names(secretary.get(f"/people/search?for=delegate&task={task.id}&q=刘").get_json())
    assert delegate == ["刘秀英"]
    everyone = _names(secretary.get(f"/people/search?for=delegate&task={task.id}").get_json())
    assert "黄德胜（治安村党支部书记）" not in everyone  # never oneself
    assert not any("高玉兰" in name for name in everyone)  # another branch's secretary is out of scope
    copy = _names(secretary.get(f"/people/search?for=copy&instance={walk.instance_id}&q=镇党委").get_json())
    assert copy == ["镇党委（审批）"]  # town-wide accounts may read the case


def test_the_api_search_is_the_same_and_refuses_those_who_may_not_use_the_verb(
    kernel: Kernel, client: FlaskClient, token: Token
) -> None:
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    found = client.get(f"/api/v1/people?for=add_signer&task={task.id}&q=张", headers=token("secretary1"))
    assert found.status_code == 200
    assert found.get_json() == [
        {
            "id": actor(kernel, "member2").user_id,
            "name": "张文明",
            "branch": "治安村党支部",
            "roles": ["member"],
        }
    ]
    refused = client.get(f"/api/v1/people?for=transfer&task={task.id}", headers=token("member2"))
    assert refused.status_code == 403
    auditor = client.get(f"/api/v1/people?for=copy&instance={walk.instance_id}", headers=token("auditor"))
    assert auditor.status_code == 403  # the read-only auditor copies nothing, so finds no one to copy to
    unknown = client.get(f"/api/v1/people?for=hand_over&task={task.id}", headers=token("secretary1"))
    assert unknown.status_code == 422


def test_verbs_take_the_ids_the_picker_answers(kernel: Kernel, client: FlaskClient, token: Token) -> None:
    add_deputy(kernel)
    walk = walk_to(kernel, "determine")
    task = walk.task_of("secretary1", "Task_determine_list")
    headers = token("secretary1")
    deputy = actor(kernel, "deputy1").user_id
    outside = actor(kernel, "secretary2").user_id
    with nothing_stored(kernel):
        refused = client.post(
            f"/api/v1/tasks/{task.id}/transfer",
            json={"to_id": outside, "reason": "请代为办理"},
            headers=headers,
        )
        both = client.post(
            f"/api/v1/tasks/{task.id}/transfer",
            json={"to_id": deputy, "to": "deputy1", "reason": "请代为办理"},
            headers=headers,
        )
    assert refused.status_code == 403 and both.status_code == 422
    done = client.post(
        f"/api/v1/tasks/{task.id}/transfer",
        json={"to_id": deputy, "reason": "出差，请代为办理"},
        headers=headers,
    )
    assert done.status_code == 200 and done.get_json()["kind"] == "transfer"
    assert walk.task_of("deputy1", "Task_determine_list").id == task.id
    copied = client.post(
        f"/api/v1/instances/{walk.instance_id}/copies",
        json={"user_ids": [actor(kernel, "member3").user_id], "note": "请知悉"},
        headers=headers,
    )
    assert copied.status_code == 200


def test_the_task_page_lists_the_people_each_verb_may_reach(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    committee = login("committee")
    page = text(committee.get(f"/tasks/{task.id}"))
    signers = page.split(f"/tasks/{task.id}/signers", 1)[1].split("</form>", 1)[0]
    assert 'data-src="/people/search?for=add_signer' in signers and 'type="checkbox" name="person"' in signers
    assert "黄德胜（治安村党支部书记）" in signers and "治安村党支部 · 党支部、党员" in signers
    done = post(
        committee,
        f"/tasks/{task.id}/signers",
        {"person": str(actor(kernel, "secretary1").user_id), "reason": "请支部书记会签"},
    )
    assert done.status_code == 302
    assert (
        "黄德胜"
        in text(committee.get(f"/tasks/{task.id}")).split('id="signers"', 1)[1].split("</section>")[0]
    )
