"""The inbox a page at a time through the pages and the API: totals, the next page's link, filters,
and refusals that name the field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from flask.testing import FlaskClient
from support import GOOD, CreationWalk
from test_api_support import error_of
from test_pages_support import text

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.kernel import Kernel

Login = Callable[[str], FlaskClient]
Headers = Callable[[str], dict[str, str]]
NOMINEES = ("member1", "member5", "member6", "member7", "member8")


def _nominations(kernel: Kernel, count: int) -> list[CreationWalk]:
    """A nomination a day, member2 evaluating each: member2's list grows by one task a day."""
    walks = []
    for number, nominee in enumerate(NOMINEES[:count]):
        kernel.clock.set(dt.datetime(2026, 11, 2 + number, 9, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
        walk = CreationWalk(kernel, candidate=nominee)
        walk.start()
        walks.append(walk)
    return walks


def test_the_api_pages_the_tasks_with_a_total_and_a_link_to_the_next_page(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    _nominations(kernel, 5)
    headers = token("member2")
    seen, path = [], "/api/v1/tasks?limit=2"
    while path:
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and response.headers["X-Total-Count"] == "5"
        seen += [task["id"] for task in response.get_json()]
        link = response.headers.get("Link")
        path = re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1) if link else ""  # type: ignore[union-attr]
    whole = client.get("/api/v1/tasks", headers=headers).get_json()
    assert seen == [task["id"] for task in whole] and len(set(seen)) == 5


def test_the_api_narrows_by_overdue_and_procedure(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    _nominations(kernel, 2)
    first_due = client.get("/api/v1/tasks", headers=token("member2")).get_json()[0]["due_at"]
    kernel.clock.set(dt.datetime.fromisoformat(first_due) + dt.timedelta(hours=1))  # type: ignore[attr-defined]
    overdue = client.get("/api/v1/tasks?overdue=true", headers=token("member2"))
    assert overdue.headers["X-Total-Count"] == "1" and [t["overdue"] for t in overdue.get_json()] == [True]
    other = client.get("/api/v1/tasks?procedure=periodic_assessment", headers=token("member2"))
    assert other.get_json() == [] and other.headers["X-Total-Count"] == "0" and "Link" not in other.headers


def test_the_api_refuses_a_bad_cursor_or_an_unknown_parameter_naming_it(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    headers = token("member2")
    bad = client.get("/api/v1/tasks?after=nonsense", headers=headers)
    assert bad.status_code == 422 and "after" in error_of(bad)["errors"]
    unknown = client.get("/api/v1/tasks?page=2", headers=headers)
    assert unknown.status_code == 422 and "page" in error_of(unknown)["errors"]["query"]
    too_many = client.get("/api/v1/inbox/done?limit=501", headers=headers)
    assert too_many.status_code == 422 and "limit" in error_of(too_many)["errors"]["query"]


def test_the_done_list_pages_newest_first_through_the_api(
    client: FlaskClient, token: Headers, kernel: Kernel
) -> None:
    for walk in _nominations(kernel, 3):
        walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    first = client.get("/api/v1/inbox/done?limit=2", headers=token("member2"))
    assert first.headers["X-Total-Count"] == "3" and len(first.get_json()) == 2
    link = re.fullmatch(r'<([^>]+)>; rel="next"', first.headers["Link"]).group(1)  # type: ignore[union-attr]
    rest = client.get(link, headers=token("member2")).get_json()
    ids = [row["instance_id"] for row in first.get_json() + rest]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3


def test_the_todo_page_shows_the_total_and_leads_to_the_next_page(kernel: Kernel, login: Login) -> None:
    walks = _nominations(kernel, 3)
    client = login("member2")
    body = text(client.get("/inbox?limit=2"))
    assert "共 3 项" in body and "（本页 2 项）" in body
    link = re.search(r'<a class="button" rel="next" href="([^"]+)">下一页</a>', body)
    assert link is not None
    rest = text(client.get(link.group(1).replace("&amp;", "&")))
    assert "第一页" in rest and "下一页" not in rest
    titles = re.findall(r'href="/tasks/([^"]+)"', body) + re.findall(r'href="/tasks/([^"]+)"', rest)
    assert len(titles) == len(set(titles)) == len(walks)


def test_the_todo_page_filters_the_overdue_and_says_when_nothing_matches(
    kernel: Kernel, login: Login
) -> None:
    _nominations(kernel, 2)
    client = login("member2")
    assert "没有符合条件的待办。" in text(client.get("/inbox?overdue=1"))
    kernel.clock.set(dt.datetime(2026, 12, 20, 9, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    body = text(client.get("/inbox?overdue=1"))
    assert "共 2 项" in body and body.count("已逾期") >= 2


def test_a_bad_cursor_on_the_page_shows_the_first_page_and_says_why(kernel: Kernel, login: Login) -> None:
    _nominations(kernel, 1)
    response = login("member2").get("/inbox?after=nonsense")
    assert response.status_code == 422 and "翻页位置无效" in text(response) and "共 1 项" in text(response)


def test_the_pager_speaks_english(kernel: Kernel, login: Login) -> None:
    _nominations(kernel, 3)
    client = login("member2")
    body = text(client.get("/inbox?limit=2&lang=en"))
    assert "3 in all" in body and "Next" in body
