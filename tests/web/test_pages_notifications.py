"""The bell: unread count in every page's header, the notifications page, and 'mark all read'."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from test_pages_support import nothing_stored, post, text, walk_to

from xianfeng.engine.kernel import Kernel

Login = Callable[[str], FlaskClient]
BELL = re.compile(r'class="bell"[^>]*>通知 <span class="badge"[^>]*>(\d+)</span>')


def test_the_bell_counts_unread_notifications_and_links_each_to_its_task(
    kernel: Kernel, login: Login
) -> None:
    walk = walk_to(kernel, "evaluation")
    task = walk.task_of("member2", "Task_member_evaluation")
    client = login("member2")
    found = BELL.search(text(client.get("/inbox")))
    assert found and found.group(1) == "1"
    page = text(client.get("/notifications"))
    assert "新待办" in page and f'href="/tasks/{task.id}">党员测评</a>' in page
    assert f'href="/instances/{walk.instance_id}"' in page and "未读" in page
    assert "Notifications" in text(client.get("/notifications?lang=en"))


def test_marking_all_read_clears_the_bell(kernel: Kernel, login: Login) -> None:
    walk_to(kernel, "evaluation")
    client = login("member2")
    with nothing_stored(kernel):
        assert client.post("/notifications/read").status_code == 400  # no CSRF token
    response = post(client, "/notifications/read", {})
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    page = text(client.get("/notifications"))
    assert "已将 1 条通知标为已读" in page and not BELL.search(page) and "全部标为已读" not in page


def test_nothing_to_show_says_so(login: Login) -> None:
    assert "暂无通知" in text(login("auditor").get("/notifications"))
