"""Approver verbs besides completing: 转办 transfer, 委派 delegate (and give back), 加签 add
co-signers (and sign), 抄送 copy, 催办 urge, 退回 return to an earlier step.

Each is one unit of work, checked against the same role and scope rules as completion, recorded
in the event chain with the actor and the reason, and announced through the notification outbox.
Only 退回 changes the workflow; the others change who acts or who is told.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..errors import NotAllowed, NotFound, RuleViolation
from ..kernel import Kernel
from ..models import Event, HumanTask, ProcessInstance, TaskCopy, TaskSigner, User
from ..models.org import ROLE_BRANCH, ROLE_COMMITTEE, ROLE_PUBLIC
from ..process.catalog import LoadedVersion
from ..process.quotas import URGE_INTERVAL_PROPERTY, element_property, parse_window, start_property
from ..process.task_verbs import allowed_verbs
from . import authz, notifications, people, task_versions
from .case_ahead import CaseAhead, again_while_moved, case_unit
from .results import StepOutcome
from .steps import EventMeta, record_verb
from .task_locks import locked_task
from .tasks import outcome_of


@dataclass(frozen=True)
class VerbResult:
    instance_id: int
    task_id: str
    kind: str
    event_seq: int
    notified: int
    people: list[str] = field(default_factory=list)  # whom it was handed or copied to, by name


def _reason(text: str, what: str) -> str:
    text = (text or "").strip()
    if len(text) < 2:
        raise RuleViolation(f"{what} needs a reason of at least 2 characters", field="reason")
    return text[:1000]


Person = int | str  # an account's id (pages, the API) or its name (the command line)


_VERB_WORDS = {
    "return": "returned (退回)",
    "transfer": "transferred (转办)",
    "delegate": "delegated (委派)",
    "add_signer": "given co-signers (加签)",
    "copy": "copied (抄送)",
    "urge": "urged (催办)",
}


def check_verb_allowed(
    session: Session, kernel: Kernel, task: HumanTask, instance: ProcessInstance, verb: str
) -> None:
    """Refuse a verb the task's diagram does not allow (its `verbs` property, or the default:
    a task that belongs to one person is never handed on)."""
    version = kernel.catalog.get(session, instance.process_version_id)
    allowed = allowed_verbs(version, task.process_id, task.spec_id)
    if verb not in allowed:
        words = ", ".join(sorted(allowed)) or "none"
        raise NotAllowed(
            f"{task.name} cannot be {_VERB_WORDS.get(verb, verb)}: its diagram allows {words}",
            task_id=task.id,
            verb=verb,
        )


def _actionable(
    session: Session, kernel: Kernel, actor: Actor, task_id: str, verb: str
) -> tuple[HumanTask, ProcessInstance]:
    task, instance = locked_task(session, task_id)
    authz.check_may_act(actor, task, instance)
    if task.role == ROLE_PUBLIC:
        raise NotAllowed("a task answered by the public through its link cannot be reassigned")
    check_verb_allowed(session, kernel, task, instance, verb)
    return task, instance


def _record(
    session: Session,
    kernel: Kernel,
    actor: Actor,
    task: HumanTask,
    instance: ProcessInstance,
    kind: str,
    payload: dict[str, Any],
) -> int:
    meta = EventMeta(
        kind=kind,
        actor=actor,
        role=task.role,
        task_id=task.id,
        spec_id=task.spec_id,
        payload={"task": task.name, **payload},
    )
    return record_verb(session, kernel, instance, meta)


def _recorded(
    session: Session,
    kernel: Kernel,
    actor: Actor,
    task: HumanTask,
    instance: ProcessInstance,
    kind: str,
    payload: dict[str, Any],
    tell: tuple[list[int], str, str],
) -> VerbResult:
    """Record the verb in the chained log and tell those it concerns (`tell`: user ids, notice kind,
    body), in the caller's transaction."""
    seq = _record(session, kernel, actor, task, instance, kind, payload)
    people, notice, body = tell
    sent = notifications.notify(
        session,
        people,
        notice,
        task.name,
        kernel.clock.now(),
        body=body,
        instance_id=instance.id,
        task_id=task.id,
    )
    return VerbResult(instance.id, task.id, kind, seq, sent)


def transfer(kernel: Kernel, actor: Actor, task_id: str, to: Person, reason: str) -> VerbResult:
    """转办: hand the task to another person who holds its role within its scope (`people`)."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        task, instance = _actionable(session, kernel, actor, task_id, "transfer")
        if task.delegation_state == "pending":
            raise RuleViolation("the task is delegated; it must come back before it can be transferred")
        target = people.account(session, to)
        people.check_may_receive("transfer", target, task, instance)
        if target.id == actor.user_id:
            raise RuleViolation("a task cannot be transferred to oneself")
        task.assignee_user_id = target.id
        result = _recorded(
            session,
            kernel,
            actor,
            task,
            instance,
            "transfer",
            {"to": target.username, "reason": _reason(reason, "a transfer")},
            ([target.id], "transferred", f"{actor.display_name or actor.username}：{reason}"),
        )
        result = replace(result, people=[target.display_name or target.username])
        uow.commit()
    return result


def delegate(kernel: Kernel, actor: Actor, task_id: str, to: Person, reason: str) -> VerbResult:
    """委派: ask someone in scope to handle the task; it comes back to the owner, who completes it."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        task, instance = _actionable(session, kernel, actor, task_id, "delegate")
        if task.delegation_state == "pending":
            raise RuleViolation("the task is already delegated")
        target = people.account(session, to)
        people.check_may_receive("delegate", target, task, instance)
        if target.id == actor.user_id:
            raise RuleViolation("a task cannot be delegated to oneself")
        task.owner_user_id, task.assignee_user_id, task.delegation_state = actor.user_id, target.id, "pending"
        result = _recorded(
            session,
            kernel,
            actor,
            task,
            instance,
            "delegate",
            {"to": target.username, "reason": _reason(reason, "a delegation")},
            ([target.id], "delegated", f"{actor.display_name or actor.username}：{reason}"),
        )
        result = replace(result, people=[target.display_name or target.username])
        uow.commit()
    return result


def resolve_delegation(kernel: Kernel, actor: Actor, task_id: str, opinion: str) -> VerbResult:
    """The delegate gives the task back to its owner with an opinion."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        task, instance = locked_task(session, task_id)
        if task.delegation_state != "pending" or task.assignee_user_id != actor.user_id:
            raise NotAllowed(f"task {task.name} is not delegated to {actor.username}")
        owner = task.owner_user_id
        task.assignee_user_id, task.delegation_state = owner, "resolved"
        result = _recorded(
            session,
            kernel,
            actor,
            task,
            instance,
            "resolve",
            {"opinion": _reason(opinion, "giving a delegated task back")},
            ([owner] if owner else [], "resolved", f"{actor.display_name or actor.username}：{opinion}"),
        )
        uow.commit()
    return result


def add_signers(kernel: Kernel, actor: Actor, task_id: str, chosen: list[Person], reason: str) -> VerbResult:
    """加签 (before): the task cannot be completed until each added person has signed with an opinion."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        task, instance = _actionable(session, kernel, actor, task_id, "add_signer")
        if not chosen:
            raise RuleViolation("name at least one person to add as co-signer", field="users")
        targets = _accounts(session, chosen)
        if any(t.id == actor.user_id for t in targets):
            raise RuleViolation("one cannot add oneself as co-signer")
        for target in targets:
            people.check_may_receive("add_signer", target, task, instance)
        now = kernel.clock.now()
        text = _reason(reason, "adding co-signers")
        for target in targets:
            session.add(
                TaskSigner(
                    task_id=task.id,
                    instance_id=instance.id,
                    user_id=target.id,
                    requested_by=actor.user_id,
                    reason=text,
                    requested_at=now,
                )
            )
        result = _recorded(
            session,
            kernel,
            actor,
            task,
            instance,
            "add_signer",
            {"users": [t.username for t in targets], "reason": text},
            ([t.id for t in targets], "signer", f"{actor.display_name or actor.username}：{text}"),
        )
        result = replace(result, people=[t.display_name or t.username for t in targets])
        uow.commit()
    return result


def sign(kernel: Kernel, actor: Actor, task_id: str, opinion: str) -> VerbResult:
    """A co-signer records their opinion; the approver is told."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        task, instance = locked_task(session, task_id)
        signer = session.execute(
            select(TaskSigner).where(
                TaskSigner.task_id == task.id,
                TaskSigner.user_id == actor.user_id,
                TaskSigner.signed_at.is_(None),
            )
        ).scalar_one_or_none()
        if signer is None:
            raise NotAllowed(f"{actor.username} has no signature pending on {task.name}")
        signer.opinion, signer.signed_at = _reason(opinion, "a signature"), kernel.clock.now()
        result = _recorded(
            session,
            kernel,
            actor,
            task,
            instance,
            "sign",
            {"opinion": signer.opinion},
            ([signer.requested_by], "signed", f"{actor.display_name or actor.username}：{signer.opinion}"),
        )
        uow.commit()
    return result


def _accounts(session: Session, chosen: list[Person]) -> list[User]:
    """The accounts chosen, each once, in the order chosen."""
    found: dict[int, User] = {}
    for who in chosen:
        user = people.account(session, who)
        found.setdefault(user.id, user)
    return list(found.values())


def pending_signers(session: Session, task_id: str) -> list[str]:
    return list(
        session.execute(
            select(User.username)
            .join(TaskSigner, TaskSigner.user_id == User.id)
            .where(TaskSigner.task_id == task_id, TaskSigner.signed_at.is_(None))
        ).scalars()
    )


def copy_to(
    kernel: Kernel, actor: Actor, instance_id: int, chosen: list[Person], note: str = "", task_id: str = ""
) -> VerbResult:
    """抄送: let people follow an instance; they see it under 抄送我的 and get a notification."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        instance = session.execute(
            select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
        ).scalar_one_or_none()
        if instance is None:
            raise NotFound(f"no instance {instance_id}", instance_id=instance_id)
        authz.check_may_take_part(actor, instance)
        task = session.get(HumanTask, task_id) if task_id else None
        if task is not None and task.instance_id == instance.id:
            check_verb_allowed(session, kernel, task, instance, "copy")
        targets = _accounts(session, chosen)
        if not targets:
            raise RuleViolation("name at least one person to copy to", field="users")
        for target in targets:
            people.check_may_receive("copy", target, None, instance)
        now = kernel.clock.now()
        for target in targets:
            session.add(
                TaskCopy(
                    instance_id=instance.id,
                    task_id=task_id,
                    user_id=target.id,
                    from_user_id=actor.user_id,
                    note=note[:1000],
                    created_at=now,
                )
            )
        meta = EventMeta(
            kind="copy",
            actor=actor,
            role="",
            task_id=task_id,
            payload={"users": [t.username for t in targets], "note": note[:1000]},
        )
        seq = record_verb(session, kernel, instance, meta)
        sent = notifications.notify(
            session,
            [t.id for t in targets],
            "copy",
            instance.title,
            now,
            body=note,
            instance_id=instance.id,
            task_id=task_id,
        )
        uow.commit()
    return VerbResult(
        instance.id, task_id, "copy", seq, sent, [t.display_name or t.username for t in targets]
    )


def urge(kernel: Kernel, actor: Actor, task_id: str, note: str = "") -> VerbResult:
    """催办: remind whoever must act; the starter, the branch or the committee may urge, once an hour."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        task, instance = locked_task(session, task_id)
        _check_may_urge(actor, instance)
        check_verb_allowed(session, kernel, task, instance, "urge")
        now = kernel.clock.now()
        interval = urge_interval(kernel.catalog.get(session, instance.process_version_id), task)
        last = session.execute(
            select(func.max(Event.business_time)).where(
                Event.task_id == task.id, Event.kind == "urge", Event.actor_user_id == actor.user_id
            )
        ).scalar()
        if interval is not None and last is not None and now - last < interval:
            again = last + interval
            raise RuleViolation(
                f"{task.name} was urged at {last.isoformat()}; urge again after {again.isoformat()}",
                next_at=again.isoformat(),
            )
        people = notifications.recipients_for_task(session, task.role, task.branch_id, task.assignee_user_id)
        result = _recorded(
            session,
            kernel,
            actor,
            task,
            instance,
            "urge",
            {"note": note[:500]},
            (people, "urge", note or (actor.display_name or actor.username)),
        )
        uow.commit()
    return result


def urge_interval(version: LoadedVersion, task: HumanTask) -> dt.timedelta | None:
    """How long one person waits between two urges of a task (`urgeInterval`): the task's own,
    else its process's, else the case's procedure's (its start event); None when no diagram says."""
    specs = [version.spec, *version.subprocess_specs.values()]
    own = [spec for spec in specs if spec.name == task.process_id]
    text = (
        element_property(own, URGE_INTERVAL_PROPERTY, lambda ts: ts.bpmn_id == task.spec_id)
        or next((v for spec in own if (v := start_property(spec, URGE_INTERVAL_PROPERTY))), None)
        or start_property(version.spec, URGE_INTERVAL_PROPERTY)
    )
    return parse_window(text) if text else None


def _check_may_urge(actor: Actor, instance: ProcessInstance) -> None:
    if actor.user_id is not None and actor.user_id == instance.started_by:
        return
    if actor.has(ROLE_COMMITTEE) or (actor.has(ROLE_BRANCH) and actor.branch_id == instance.branch_id):
        return
    raise NotAllowed(f"{actor.username} may not urge tasks of instance {instance.id}")


def return_to(
    kernel: Kernel, actor: Actor, task_id: str, target: str, reason: str, expected_version: int | None = None
) -> StepOutcome:
    """退回: send the case back to an earlier step that the task's diagram lists in `returnTargets`.

    The step, and the deliveries of messages it makes the case ready for, are computed ahead of the
    write lock and then written (`case_ahead`), again if the case moved meanwhile."""
    text = _reason(reason, "a return")
    return again_while_moved(
        f"task {task_id} could not be returned",
        lambda: _return_once(kernel, actor, task_id, target, text, expected_version),
        task_id=task_id,
    )


def _return_once(
    kernel: Kernel, actor: Actor, task_id: str, target: str, text: str, expected_version: int | None
) -> StepOutcome:
    with case_unit(kernel) as (uow, begin_write):
        session = uow.session
        task, instance = _actionable(session, kernel, actor, task_id, "return")
        task_versions.check_fresh(session, task, instance, expected_version)
        case = CaseAhead(kernel, session, instance, kernel.catalog.get(session, instance.process_version_id))
        now = kernel.clock.now()
        data = {"target": target}
        step = case.input("return", now, task_id=task.id, data=data, timers_at=case.earliest_pending())
        meta = EventMeta(
            kind="return",
            actor=actor,
            role=task.role,
            task_id=task.id,
            spec_id=task.spec_id,
            payload={"task": task.name, "data": data, "reason": text},
        )
        result = case.step(step, meta)
        case.deliver(now)
        begin_write()
        seqs = case.write()
        outcome = outcome_of(instance, result, seqs[0], len(seqs) - 1, case.version)
        uow.commit()
    return outcome
