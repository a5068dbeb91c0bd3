"""Inbox lists a page at a time: every task exactly once across the pages while tasks come and go,
soonest due first, narrowed by procedure, branch and overdue, with the total of the whole list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from support import GOOD, CreationWalk, actor

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import FormInvalid
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import inbox, inbox_paging, tasks
from xianfeng.engine.services.inbox_query import PageAsk, TaskKey, TodoFilters, list_query, todo_query

DAY = dt.timedelta(days=1)
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_TZ)  # a Monday
NOMINEES = ("member1", "member5", "member6", "member7", "member8", "member9", "member10")


def _nominations(kernel: Kernel, nominees: tuple[str, ...], start: dt.datetime = START) -> list[CreationWalk]:
    """One nomination a day, each asking member2, member3 and member4 to evaluate: member2's list
    grows by one task a day, each due a day after the one before."""
    walks = []
    for number, nominee in enumerate(nominees):
        kernel.clock.set(start + number * DAY)  # type: ignore[attr-defined]
        walk = CreationWalk(kernel, candidate=nominee)
        walk.start()
        walks.append(walk)
    return walks


def _page(kernel: Kernel, username: str, after: TaskKey | None, limit: int, **filters: object) -> Any:
    return inbox_paging.todo_page(
        kernel,
        actor(kernel, username),
        TodoFilters(**filters),
        PageAsk(after=after, limit=limit),  # type: ignore[arg-type]
    )


def _walk_pages(
    kernel: Kernel, username: str, limit: int, between: Any = None, **filters: object
) -> list[str]:
    """Every page from the first, following `next`; `between(page_number)` runs after each page."""
    seen: list[str] = []
    after: TaskKey | None = None
    for number in range(100):
        page = _page(kernel, username, after, limit, **filters)
        seen += [row.id for row in page.rows]
        if between is not None:
            between(number)
        if page.next is None:
            return seen
        after = todo_query({"after": page.next})[1].after  # type: ignore[assignment]
    raise AssertionError("the pages never ended")


def test_the_pages_hold_every_task_once_soonest_due_first(backend: Kernel) -> None:
    _nominations(backend, NOMINEES)
    everything = inbox.tasks_for(backend, actor(backend, "member2"))
    assert len(everything) == len(NOMINEES)
    seen = _walk_pages(backend, "member2", limit=2)
    assert seen == [task.id for task in everything]  # the same order as the whole list: by due date
    first = _page(backend, "member2", None, 2)
    assert first.total == len(NOMINEES) and len(first.rows) == 2 and first.next is not None


def test_tasks_that_come_and_go_while_paging_never_shift_a_page(backend: Kernel) -> None:
    walks = _nominations(backend, NOMINEES[:5])
    before = {task.id for task in inbox.tasks_for(backend, actor(backend, "member2"))}
    done: set[str] = set()
    came: list[CreationWalk] = []

    def meanwhile(page_number: int) -> None:
        if page_number == 0:  # someone completes a task not yet shown, and a nomination arrives
            walk = walks[-1]
            done.add(walk.task_of("member2", "Task_member_evaluation").id)
            walk.complete("member2", dict(GOOD), "Task_member_evaluation")
            came.extend(_nominations(backend, NOMINEES[5:6], START + 10 * DAY))
        if page_number == 1:  # and one already shown is completed
            walks[0].complete("member2", dict(GOOD), "Task_member_evaluation")

    seen = _walk_pages(backend, "member2", limit=2, between=meanwhile)
    assert len(seen) == len(set(seen)), "a task was shown twice"
    assert before - done <= set(seen), "a task present throughout was never shown"
    assert not done & set(seen)
    assert came[0].task_of("member2", "Task_member_evaluation").id in seen  # due last: on the last page


def test_overdue_procedure_and_branch_narrow_the_list_and_its_total(backend: Kernel) -> None:
    _nominations(backend, NOMINEES[:3])
    member2 = inbox.tasks_for(backend, actor(backend, "member2"))
    backend.clock.set(member2[0].due_at + dt.timedelta(hours=1))  # type: ignore[attr-defined,operator]
    overdue = _page(backend, "member2", None, 10, overdue=True)
    assert [row.id for row in overdue.rows] == [member2[0].id] and overdue.total == 1
    assert all(row.overdue for row in overdue.rows)
    assert _page(backend, "member2", None, 10, procedure="model_post_creation").total == 3
    assert _page(backend, "member2", None, 10, procedure="periodic_assessment").total == 0
    assert _page(backend, "member2", None, 10, branch_id=2).rows == []


def test_the_committee_pages_its_town_and_narrows_to_one_branch(backend: Kernel) -> None:
    first = CreationWalk(backend, candidate="member1")
    second = CreationWalk(
        backend, secretary="secretary2", candidate="member11", evaluators=("member12", "member13", "member14")
    )
    for walk in (first, second):
        walk.start()
        walk.evaluate()
        walk.pass_notice()
        walk.consent()
        walk.determine()
    town = _page(backend, "committee", None, 1)
    assert town.total == 2 and len(town.rows) == 1 and town.next is not None
    only_second = _page(backend, "committee", None, 10, branch_id=2)
    assert [row.instance_id for row in only_second.rows] == [second.instance_id]
    assert inbox.counts(backend, actor(backend, "committee"))["todo"] == 2


def test_the_nav_count_adds_up_the_parts_of_the_list(backend: Kernel) -> None:
    _nominations(backend, NOMINEES[:3])
    for username in ("member2", "secretary1", "committee", "member11"):
        who = actor(backend, username)
        assert inbox.counts(backend, who)["todo"] == len(inbox.tasks_for(backend, who))


def test_the_other_lists_page_newest_first_with_their_totals(backend: Kernel) -> None:
    walks = _nominations(backend, NOMINEES[:5])
    for walk in walks:
        walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    who = actor(backend, "member2")
    seen, after = [], None
    while True:
        page = inbox_paging.done_page(backend, who, PageAsk(after=after, limit=2))
        seen += [row["instance_id"] for row in page.rows]
        assert page.total == 5
        if page.next is None:
            break
        after = list_query({"after": page.next}).after
    assert seen == [walk.instance_id for walk in reversed(walks)]
    started = inbox_paging.started_page(backend, actor(backend, "secretary1"), PageAsk(limit=3))
    assert (
        started.total == 5 and len(started.rows) == 3 and started.next == str(started.rows[-1]["instance_id"])
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": "not-a-cursor"}, "after"),
        ({"branch_id": "2x"}, "branch_id"),
        ({"overdue": "maybe"}, "overdue"),
        ({"limit": "9999"}, "limit"),
        ({"procedure": "no such/key"}, "procedure"),
    ],
)
def test_a_bad_filter_or_cursor_is_refused_naming_its_field(query: dict[str, str], field: str) -> None:
    with pytest.raises(FormInvalid) as refused:
        todo_query(query)
    assert field in refused.value.errors and field in refused.value.errors_zh


def test_a_cursor_survives_its_round_trip() -> None:
    key = TaskKey(
        dt.datetime(2026, 12, 9, 16, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 25, 1, 2, 3, 4, tzinfo=dt.UTC),
        "a-b",
    )
    assert todo_query({"after": str(key)})[1].after == key
    undated = TaskKey(None, key.created_at, "c")
    assert todo_query({"after": str(undated)})[1].after == undated


def test_the_total_follows_completions_between_pages(backend: Kernel) -> None:
    _nominations(backend, NOMINEES[:3])
    who = actor(backend, "member2")
    first = inbox_paging.todo_page(backend, who, TodoFilters(), PageAsk(limit=2))
    assert first.total == 3
    task = first.rows[0]
    tasks.complete(backend, who, task.id, dict(GOOD), expected_version=task.instance_version)
    again = inbox_paging.todo_page(backend, who, TodoFilters(), PageAsk(limit=2))
    assert again.total == 2 and task.id not in [row.id for row in again.rows] and again.next is None
