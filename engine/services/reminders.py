"""Reminders before a deadline and escalation after it (in-app, through the outbox).

The diagram sets, per user task, how many working days before its due time to remind the people
who must act (`remindBeforeWorkingDays`) and which role hears of it once overdue (`escalateTo`);
`tick` runs this. Each reminder and each escalation happens once per task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
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


_CANDIDATES = select(HumanTask, ProcessInstance.title).join(
    ProcessInstance, ProcessInstance.id == HumanTask.instance_id
)
_WAITING_REMINDER = (HumanTask.remind_days.is_not(None), HumanTask.reminded_at.is_(None))


def _candidates(session: Session, now: dt.datetime) -> list[tuple[HumanTask, str]]:
    """The tasks to remind or escalate now, in one statement over two partial indexes that hold
    only the tasks still waiting for either (`ix_human_task_to_remind`, `_to_escalate`), so an
    idle round reads nothing but index pages, however many tasks are open.

    A task is reminded once `remind_days` or fewer working days are left before its due time, that
    is, once its due time is no later than midnight before the (remind_days + 1)-th working day
    from now: one bound per number of days, up to the largest still waiting (an index probe)."""
    top = session.execute(
        select(HumanTask.remind_days)
        .where(*_WAITING_REMINDER)
        .order_by(HumanTask.remind_days.desc())
        .limit(1)
    ).scalar()
    terms = [
        and_(HumanTask.escalate_to != "", HumanTask.escalated_at.is_(None), HumanTask.due_at < now),
    ]
    if top is not None:
        calendar = load_calendar(session)
        for days in range(top + 1):
            horizon = calendar.add_working_days(now, days + 1) - dt.timedelta(days=1)
            terms.append(and_(HumanTask.remind_days == days, *_WAITING_REMINDER, HumanTask.due_at <= horizon))
    return [(task, title) for task, title in session.execute(_CANDIDATES.where(or_(*terms)))]


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
        return bool(_candidates(uow.session, now))


def run(kernel: Kernel, now: dt.datetime) -> ReminderReport:
    """Remind and escalate what is due; the candidates are read again under the write lock, so two
    tickers never send the same reminder twice."""
    report = ReminderReport()
    if not _anything_due(kernel, now):
        return report
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        rows = _candidates(session, now)
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
