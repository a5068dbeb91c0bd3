"""Administrators' interventions in a running case: cancel it, suspend and resume it, give a task
to a person, complete a task on someone's behalf, retry a step that failed.

Each needs a reason, is refused without one, and is a chained event of the case with the real actor
(the administrator) and the reason, so the case's history shows it and `verify` replays it: a
cancellation is a step of the workflow (every open task ends); the others change who acts or
whether the case may move, not the workflow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ...actor import Actor
from ...errors import NotAllowed, NotFound, RuleViolation, TaskNotReady
from ...kernel import Kernel
from ...models import HumanTask, ProcessInstance, TimerRow, User
from ...models.org import ROLE_ADMIN, ROLE_OPERATOR
from ...process.task_verbs import allowed_verbs
from .. import forms, timers
from ..accounts import actor_of
from ..case_ahead import CaseAhead, again_while_moved, case_unit
from ..results import StepOutcome
from ..steps import EventMeta, record_verb
from ..task_locks import locked_task
from ..tasks import outcome_of
from ..withdraw import take_down

ADMINS = frozenset({ROLE_ADMIN, ROLE_OPERATOR})
MIN_REASON = 4


@dataclass(frozen=True)
class Intervention:
    instance_id: int
    kind: str
    event_seq: int
    task_id: str = ""


def check_admin(actor: Actor) -> None:
    if not actor.roles & ADMINS:
        raise NotAllowed(f"only an administrator intervenes in a case; {actor.username} may not")


def reason_of(text: str) -> str:
    text = (text or "").strip()
    if len(text) < MIN_REASON:
        raise RuleViolation(
            f"an intervention needs a reason of at least {MIN_REASON} characters", field="reason"
        )
    return text[:1000]


_INTERVENTION_WORDS = {"transfer": "given to another person", "delegate": "completed on someone's behalf"}


def check_hands_on(
    session: Any, kernel: Kernel, task: HumanTask, instance: ProcessInstance, verb: str
) -> None:
    """An administrator's reassignment is a 转办 and a completion on someone's behalf a 委派: a task
    whose diagram does not allow that verb (an evaluator's score, the nominee's consent, the branch's
    own attestation) is answered by its own holder or not at all, else a vote could be cast in
    someone's name; its deadline decides what an unanswered one means."""
    version = kernel.catalog.get(session, instance.process_version_id)
    if verb not in allowed_verbs(version, task.process_id, task.spec_id):
        raise NotAllowed(
            f"{task.name} is answered by its own holder only: its diagram does not let it be "
            f"{_INTERVENTION_WORDS[verb]}, by an administrator either",
            task_id=task.id,
            task=task.name,
            verb=verb,
        )


def locked_instance(session: Any, instance_id: int, statuses: tuple[str, ...]) -> ProcessInstance:
    instance = session.execute(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    ).scalar_one_or_none()
    if instance is None:
        raise NotFound(f"no case {instance_id}", instance_id=instance_id)
    if instance.status not in statuses:
        raise RuleViolation(
            f"case {instance_id} is {instance.status}; this intervention needs it {' or '.join(statuses)}",
            instance_id=instance_id,
            status=instance.status,
        )
    return instance


def cancel(kernel: Kernel, actor: Actor, instance_id: int, reason: str) -> Intervention:
    """End a case now: every open task ends, its links close, a notice it put up comes down."""
    check_admin(actor)
    why = reason_of(reason)
    return again_while_moved(
        f"case {instance_id} could not be cancelled",
        lambda: _cancel_once(kernel, actor, instance_id, why),
        instance_id=instance_id,
    )


def _cancel_once(kernel: Kernel, actor: Actor, instance_id: int, why: str) -> Intervention:
    """The cancel's step is computed ahead of the write lock, then written (`case_ahead`)."""
    with case_unit(kernel) as (uow, begin_write):
        session = uow.session
        instance = locked_instance(session, instance_id, ("running", "suspended"))
        case = CaseAhead(kernel, session, instance, kernel.catalog.get(session, instance.process_version_id))
        now = kernel.clock.now()
        meta = EventMeta(kind="cancel", actor=actor, role=ROLE_ADMIN, payload={"reason": why})
        case.step(case.input("cancel", now), meta)
        begin_write()
        (seq,) = case.write(lambda _instance: take_down(session, instance_id, now, "cancelled"))
        uow.commit()
    return Intervention(instance_id, "cancel", seq)


def suspend(kernel: Kernel, actor: Actor, instance_id: int, reason: str) -> Intervention:
    """Hold a case: nobody completes its tasks and its timers wait until it is resumed."""
    return _set_status(kernel, actor, instance_id, reason, "suspend", ("running",), "suspended")


def resume(kernel: Kernel, actor: Actor, instance_id: int, reason: str) -> Intervention:
    """Let a suspended case move again; timers that fell due meanwhile fire at the next tick."""
    return _set_status(kernel, actor, instance_id, reason, "resume", ("suspended",), "running")


def _set_status(
    kernel: Kernel,
    actor: Actor,
    instance_id: int,
    reason: str,
    kind: str,
    statuses: tuple[str, ...],
    status: str,
) -> Intervention:
    check_admin(actor)
    why = reason_of(reason)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        instance = locked_instance(session, instance_id, statuses)
        instance.status = status
        meta = EventMeta(kind=kind, actor=actor, role=ROLE_ADMIN, payload={"reason": why})
        seq = record_verb(session, kernel, instance, meta)
        uow.commit()
    return Intervention(instance_id, kind, seq)


def reassign(kernel: Kernel, actor: Actor, task_id: str, username: str, reason: str) -> Intervention:
    """Give a task to one person who holds its role within the case's scope."""
    check_admin(actor)
    why = reason_of(reason)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        task, instance = locked_task(session, task_id)
        target = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if target is None or not target.active:
            raise NotFound(f"no active account {username!r}", username=username)
        check_hands_on(session, kernel, task, instance, "transfer")
        who = actor_of(target)
        if task.role not in who.roles or (
            task.role in ("branch", "member") and who.branch_id != instance.branch_id
        ):
            raise NotAllowed(
                f"{username} cannot act on {task.name}: it needs the role {task.role!r} in the case's branch",
                username=username,
            )
        task.assignee_user_id, task.owner_user_id, task.delegation_state = target.id, None, ""
        meta = EventMeta(
            kind="reassign",
            actor=actor,
            role=ROLE_ADMIN,
            task_id=task.id,
            spec_id=task.spec_id,
            payload={"task": task.name, "to": target.username, "reason": why},
        )
        seq = record_verb(session, kernel, instance, meta)
        uow.commit()
    return Intervention(instance.id, "reassign", seq, task_id)


def complete_on_behalf(
    kernel: Kernel, actor: Actor, task_id: str, data: dict[str, Any], reason: str
) -> StepOutcome:
    """Complete a task for whoever should have, with data its form accepts; the log names the
    administrator who did it and why."""
    check_admin(actor)
    why = reason_of(reason)
    return again_while_moved(
        f"task {task_id} could not be completed on behalf",
        lambda: _complete_on_behalf_once(kernel, actor, task_id, data, why),
        task_id=task_id,
    )


def _complete_on_behalf_once(
    kernel: Kernel, actor: Actor, task_id: str, data: dict[str, Any], why: str
) -> StepOutcome:
    """The step, and the deliveries it makes the case ready for, are computed ahead of the write
    lock, then written (`case_ahead`)."""
    with case_unit(kernel) as (uow, begin_write):
        session = uow.session
        task, instance = locked_task(session, task_id)
        if instance.status != "running":
            raise TaskNotReady(f"case {instance.id} is {instance.status}", instance_id=instance.id)
        check_hands_on(session, kernel, task, instance, "delegate")
        version = kernel.catalog.get(session, instance.process_version_id)
        cleaned = forms.validate(session, version.form(task.form), data, instance.branch_id)
        case = CaseAhead(kernel, session, instance, version)
        step = case.input("complete", kernel.clock.now(), task_id=task.id, data=cleaned)
        meta = EventMeta(
            kind="complete",
            actor=actor,
            role=ROLE_ADMIN,
            task_id=task.id,
            spec_id=task.spec_id,
            payload={"task": task.name, "data": cleaned, "on_behalf": True, "reason": why},
        )
        result = case.step(step, meta)
        case.deliver(step.at)
        begin_write()
        seqs = case.write()
        outcome = outcome_of(instance, result, seqs[0], len(seqs) - 1)
        uow.commit()
    return outcome


def waiting_rows(kernel: Kernel, actor: Actor, instance_id: int) -> list[HumanTask]:
    """The case's open tasks, for an administrator choosing one to reassign or complete."""
    check_admin(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(select(HumanTask).where(HumanTask.instance_id == instance_id)).scalars()
        )


STUCK_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class StuckCase:
    """A running case whose timer fell due long ago and has not fired: its step keeps failing."""

    instance_id: int
    title: str
    due_at: dt.datetime


def stuck(kernel: Kernel, actor: Actor) -> list[StuckCase]:
    """Cases whose timers are more than ten minutes overdue (the ticker fires them within a second,
    so a step there keeps failing), for an administrator to look at and retry."""
    check_admin(actor)
    before = kernel.clock.now() - STUCK_AFTER
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(ProcessInstance.id, ProcessInstance.title, func.min(TimerRow.due_at))
            .join(TimerRow, TimerRow.instance_id == ProcessInstance.id)
            .where(ProcessInstance.status == "running", TimerRow.due_at < before)
            .group_by(ProcessInstance.id, ProcessInstance.title)
            .order_by(ProcessInstance.id)
        ).all()
    return [StuckCase(instance_id, title, due_at) for instance_id, title, due_at in rows]


def retry(kernel: Kernel, actor: Actor, instance_id: int, reason: str) -> Intervention:
    """Run the case's due step again now, on the record as the administrator's retry; if it fails
    again the error says why and nothing is stored."""
    check_admin(actor)
    why = reason_of(reason)
    _check_running(kernel, instance_id)
    meta = EventMeta(kind="tick", actor=actor, role=ROLE_ADMIN, payload={"retry": True, "reason": why})
    report = timers.tick_one(kernel, instance_id, kernel.clock.now(), meta)
    if not report.fired:
        raise RuleViolation(f"case {instance_id} has nothing due to run again", instance_id=instance_id)
    return Intervention(instance_id, "retry", report.fired[0][1])


def _check_running(kernel: Kernel, instance_id: int) -> None:
    """An unknown case, or one not running, is said as such rather than as "nothing due"."""
    with kernel.db.unit_of_work(write=False) as uow:
        status = uow.session.execute(
            select(ProcessInstance.status).where(ProcessInstance.id == instance_id)
        ).scalar_one_or_none()
    if status is None:
        raise NotFound(f"no case {instance_id}", instance_id=instance_id)
    if status != "running":
        raise RuleViolation(
            f"case {instance_id} is {status}; this intervention needs it running",
            instance_id=instance_id,
            status=status,
        )
