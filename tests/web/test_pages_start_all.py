"""为本支部全部…发起: a branch starts the assessment of all its posts (R5) or the review of all its
areas (R10) with one press; a second press starts nothing twice, and others are refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from support import actor, establish_post
from test_pages_support import nothing_stored, post, text
from walks_support import divide

from xianfeng.engine.errors import RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ProcessInstance
from xianfeng.engine.services import tasks

Login = Callable[[str], FlaskClient]


def _instances(kernel: Kernel, process_key: str) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(
            sa.select(sa.func.count()).where(ProcessInstance.process_key == process_key)
        ).scalar_one()


def test_the_branch_starts_the_assessment_of_all_its_posts_once(kernel: Kernel, login: Login) -> None:
    post_id = establish_post(kernel)
    establish_post(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    client = login("secretary1")
    register = text(client.get("/posts"))
    assert 'action="/posts/start-assessments"' in register and "为本支部全部示范岗发起考核" in register
    response = post(client, "/posts/start-assessments", {}, "/posts")
    assert response.status_code == 302 and response.headers["Location"] == "/posts"
    assert "已为 2 个示范岗发起考核" in text(client.get("/posts"))
    assert _instances(kernel, "periodic_assessment") == 2
    with nothing_stored(kernel):
        again = post(client, "/posts/start-assessments", {}, "/posts")
    assert again.status_code == 302 and "2 项本周期已发起，未重复发起" in text(client.get("/posts"))
    with pytest.raises(RuleViolation, match="already has instance"):
        tasks.start(kernel, actor(kernel, "secretary1"), "periodic_assessment", {"post_id": post_id})
    other = login("secretary2")
    post(other, "/posts/start-assessments", {}, "/posts")
    assert "没有需要发起的对象" in text(other.get("/posts"))
    english = text(login("secretary1").get("/posts?lang=en"))
    assert "Start the assessment of every post of the branch" in english


def test_only_a_branch_starts_for_all(kernel: Kernel, login: Login) -> None:
    establish_post(kernel)
    divide(kernel)
    for username in ("committee", "member1", "auditor"):
        client = login(username)
        assert "为本支部全部示范岗发起考核" not in text(client.get("/posts"))
        assert "为本支部全部责任区发起考评" not in text(client.get("/areas"))
        with nothing_stored(kernel):
            assert post(client, "/posts/start-assessments", {}, "/posts").status_code == 403
            assert post(client, "/areas/start-reviews", {}, "/areas").status_code == 403
    with nothing_stored(kernel):
        assert login("secretary1").post("/posts/start-assessments").status_code == 400  # no CSRF token


def test_the_branch_starts_the_review_of_all_its_areas_once(kernel: Kernel, login: Login) -> None:
    divide(kernel)
    client = login("secretary1")
    assert 'action="/areas/start-reviews"' in text(client.get("/areas"))
    response = post(client, "/areas/start-reviews", {}, "/areas")
    assert response.status_code == 302 and response.headers["Location"] == "/areas"
    assert "已为 2 个责任区发起考评" in text(client.get("/areas"))
    assert _instances(kernel, "responsibility_area_review") == 2
    with nothing_stored(kernel):
        post(client, "/areas/start-reviews", {}, "/areas")
    assert "2 项本周期已发起，未重复发起" in text(client.get("/areas"))
