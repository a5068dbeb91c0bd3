"""示范岗台账: the register of model posts with its filters, and one post with its creation case."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from support import actor
from test_pages_support import APPROVE, text, walk_to

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import registers, tasks

Login = Callable[[str], FlaskClient]


def _establish(kernel: Kernel, candidate: str) -> int:
    walk = walk_to(kernel, "decision", candidate=candidate, evaluators=("member6", "member7", "member8"))
    task = walk.task_of("committee", "Task_committee_decision")
    tasks.complete(kernel, actor(kernel, "committee"), task.id, dict(APPROVE))
    return walk.instance_id


def test_the_register_lists_posts_with_chinese_labels(kernel: Kernel, login: Login) -> None:
    assert "暂无示范岗" in text(login("committee").get("/posts"))
    _establish(kernel, "member1")
    body = text(login("committee").get("/posts"))
    assert "ZA-SFG-2026-0001" in body and "李志强" in body and "治安村党支部" in body and "东风村" in body
    assert "关键岗位" in body and "有效" in body and "2026-12-03" in body
    english = text(login("committee").get("/posts?lang=en"))
    assert "Model post register" in english and "Key post" in english and "Active" in english


def test_the_register_filters_by_village_branch_and_status(kernel: Kernel, login: Login) -> None:
    _establish(kernel, "member1")  # 东风村 (village 2)
    _establish(kernel, "member2")  # 治安村 (village 1)
    client = login("committee")
    both = text(client.get("/posts"))
    assert "李志强" in both and "张文明" in both
    village = text(client.get("/posts?village=1"))
    assert "张文明" in village and "李志强" not in village and '<option value="1" selected>治安村' in village
    assert "暂无示范岗" in text(client.get("/posts?status=revoked"))
    assert "暂无示范岗" in text(client.get("/posts?branch=2"))
    assert "李志强" in text(client.get("/posts?branch=1&status=active&village=nonsense"))


def test_a_branch_sees_its_own_posts_only(kernel: Kernel, login: Login) -> None:
    _establish(kernel, "member1")
    (post,) = registers.posts(kernel, actor(kernel, "committee"))
    assert "李志强" not in text(login("secretary2").get("/posts"))
    assert login("secretary2").get(f"/posts/{post['id']}").status_code == 403
    assert login("secretary2").get("/posts/999").status_code == 404


def test_a_post_shows_its_plate_badge_and_creation_case(kernel: Kernel, login: Login) -> None:
    instance_id = _establish(kernel, "member1")
    (post,) = registers.posts(kernel, actor(kernel, "committee"))
    body = text(login("secretary1").get(f"/posts/{post['id']}"))
    assert "ZA-SFG-2026-0001" in body and "ZA-HZ-2026-0001" in body and "便民服务示范岗" in body
    assert f'href="/instances/{instance_id}"' in body and "已办结" in body
