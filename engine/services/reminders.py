"""Reminders before a deadline and escalation after it (in-app, through the outbox).

The diagram sets, per user task, how many working days before its due time to remind the people
who must act (`remindBeforeWorkingDays`) and which role hears of it once overdue (`escalateTo`);
`tick` runs this. Each reminder and each escalation happens once per task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ
from ..kernel import Kernel
from ..models import HumanTask, ProcessInstance
from ..models.org import ROLE_BRANCH, ROLE_COMMITTEE
from ..process.calendar import WorkingCalendar
from . import notifications
from .calendar_admin import load_calendar


@dataclass
class ReminderReport:
    reminded: int = 0
    escalated: int = 0


_CANDIDATES = (
    select(HumanTask, ProcessInstance.title)
    .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    .where(HumanTask.due_at.is_not(None))
)


def _candidates(now: dt.datetime) -> Select[HumanTask, str]:
    return _CANDIDATES.where(
        or_(
            (HumanTask.remind_days.is_not(None)) & (HumanTask.reminded_at.is_(None)),
            (HumanTask.escalate_to != "") & (HumanTask.escalated_at.is_(None)) & (HumanTask.due_at < now),
        )
    )


def _escalate(task: HumanTask, now: dt.datetime) -> bool:
    return (
        task.due_at is not None and task.due_at < now and bool(task.escalate_to) and task.escalated_at is None
    )


def _remind(task: HumanTask, now: dt.datetime, calendar: WorkingCalendar) -> bool:
    return (
        task.due_at is not None
        and task.remind_days is not None
        and task.reminded_at is None
        and calendar.working_days_between(now, task.due_at) <= task.remind_days
    )


def _anything_due(kernel: Kernel, now: dt.datetime) -> bool:
    """Read first: the ticker runs every second, and most rounds have nobody to remind, so they
    need not take the write lock to find that out."""
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(_candidates(now)).all()
        if not rows:
            return False
        calendar = load_calendar(uow.session)
        return any(_escalate(task, now) or _remind(task, now, calendar) for task, _title in rows)


def run(kernel: Kernel, now: dt.datetime) -> ReminderReport:
    """Remind and escalate what is due; the candidates are read again under the write lock, so two
    tickers never send the same reminder twice."""
    report = ReminderReport()
    if not _anything_due(kernel, now):
        return report
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        rows = session.execute(_candidates(now)).all()
        calendar = load_calendar(session)
        for task, title in rows:
            if _escalate(task, now):
                _notify_overdue(session, task, title, now)
                task.escalated_at = now
                report.escalated += 1
            if _remind(task, now, calendar):
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


def _notify_overdue(session: Session, task: HumanTask, title: str, now: dt.datetime) -> None:
    assert task.due_at is not None
    due = task.due_at.astimezone(CHINA_TZ)
    notifications.notify(
        session,
        _escalation_targets(session, task),
        "overdue",
        f"逾期：{task.name}",
        now,
        body=f"{title}（{due:%Y-%m-%d %H:%M} 到期）",
        instance_id=task.instance_id,
        task_id=task.id,
    )


def _escalation_targets(session: Session, task: HumanTask) -> list[int]:
    role = ROLE_COMMITTEE if task.escalate_to == ROLE_COMMITTEE else ROLE_BRANCH
    return notifications.recipients_for_task(session, role, task.branch_id, None)
