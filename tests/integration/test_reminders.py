"""The ticker's reminder check reads only the tasks due to be reminded or escalated, from partial
indexes, and picks exactly the tasks the working-day rule picks, across weekends and holidays."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from support import CreationWalk, behind_the_back

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import HumanTask
from xianfeng.engine.services import reminders
from xianfeng.engine.services.calendar_admin import load_calendar

FIRST_DUE = dt.datetime(2026, 9, 20, tzinfo=CHINA_TZ)  # National Day's week and its make-up days around it


def _tasks_due_every_day(kernel: Kernel, instance_id: int) -> None:
    """Tasks due at midnight on each of 35 days, reminding 0 to 3 working days before, some to be
    escalated once overdue; written behind the log's back, as rows of the inbox to query."""
    rows = []
    for day in range(35):
        for remind in (None, 0, 1, 2, 3):
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "instance_id": instance_id,
                    "spec_id": "Task_test",
                    "process_id": "model_post_creation",
                    "name": "测试",
                    "name_en": "",
                    "role": "branch",
                    "form": "",
                    "delegation_state": "",
                    "branch_id": 1,
                    "created_at": FIRST_DUE - dt.timedelta(days=30),
                    "due_at": FIRST_DUE + dt.timedelta(days=day),
                    "remind_days": remind,
                    "escalate_to": "committee" if day % 2 else "",
                }
            )
    behind_the_back(kernel, sa.insert(HumanTask).values(rows))


def test_the_indexed_check_picks_exactly_the_tasks_the_working_day_rule_picks(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    _tasks_due_every_day(backend, walk.instance_id)
    with backend.db.unit_of_work(write=False) as uow:
        everything = list(
            uow.session.execute(sa.select(HumanTask).where(HumanTask.spec_id == "Task_test")).scalars()
        )
        calendar = load_calendar(uow.session)
        for hours in range(0, 40 * 24, 7):  # every 7 hours, so each hour of the day comes round
            now = FIRST_DUE - dt.timedelta(days=5) + dt.timedelta(hours=hours)
            picked = {task.id for task, _title in reminders._candidates(uow.session, now)}
            expected = {
                task.id
                for task in everything
                if reminders._remind(task, now, calendar) or reminders._escalate(task, now)
            }
            assert picked == expected, now


def test_tasks_once_reminded_and_escalated_leave_the_check(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    _tasks_due_every_day(backend, walk.instance_id)
    later = FIRST_DUE + dt.timedelta(days=40)
    report = reminders.run(backend, later)
    assert report.reminded == 35 * 4 and report.escalated == 17 * 5
    assert reminders.run(backend, later + dt.timedelta(seconds=1)) == reminders.ReminderReport()
    with backend.db.unit_of_work(write=False) as uow:
        assert reminders._candidates(uow.session, later) == []
