"""Reminders before a deadline and escalation after it (in-app, through the outbox).

The diagram sets, per user task, how many working days before its due time to remind the people
who must act (`remindBeforeWorkingDays`) and which role hears of it once overdue (`escalateTo`);
`tick` runs this. Each reminder and each escalation happens once per task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select

from ..clock import CHINA_TZ
from ..kernel import Kernel
from ..models import HumanTask, ProcessInstance
from ..models.org import ROLE_BRANCH, ROLE_COMMITTEE
from . import notifications
from .calendar_admin import load_calendar


@dataclass
class ReminderReport:
    reminded: int = 0
    escalated: int = 0


def run(kernel: Kernel, now: dt.datetime) -> ReminderReport:
    report = ReminderReport()
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        rows = session.execute(
            select(HumanTask, ProcessInstance.title)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.due_at.is_not(None))
            .where(
                or_(
                    (HumanTask.remind_days.is_not(None)) & (HumanTask.reminded_at.is_(None)),
                    (HumanTask.escalate_to != "")
                    & (HumanTask.escalated_at.is_(None))
                    & (HumanTask.due_at < now),
                )
            )
        ).all()
        if not rows:
            return report
        calendar = load_calendar(session)
        for task, title in rows:
            assert task.due_at is not None
            if task.due_at < now and task.escalate_to and task.escalated_at is None:
                people = _escalation_targets(session, task)
                due = task.due_at.astimezone(CHINA_TZ)
                notifications.notify(
                    session,
                    people,
                    "overdue",
                    f"逾期：{task.name}",
                    now,
                    body=f"{title}（{due:%Y-%m-%d %H:%M} 到期）",
                    instance_id=task.instance_id,
                    task_id=task.id,
                )
                task.escalated_at = now
                report.escalated += 1
            if (
                task.remind_days is not None
                and task.reminded_at is None
                and calendar.working_days_between(now, task.due_at) <= task.remind_days
            ):
                people = notifications.recipients_for_task(
                    session, task.role, task.branch_id, task.assignee_user_id
                )
                notifications.notify(
                    session,
                    people,
                    "reminder",
                    f"即将到期：{task.name}",
                    now,
                    body=title,
                    instance_id=task.instance_id,
                    task_id=task.id,
                )
                task.reminded_at = now
                report.reminded += 1
        uow.commit()
    return report


def _escalation_targets(session: object, task: HumanTask) -> list[int]:
    role = ROLE_COMMITTEE if task.escalate_to == ROLE_COMMITTEE else ROLE_BRANCH
    return notifications.recipients_for_task(session, role, task.branch_id, None)  # type: ignore[arg-type]
