"""撤回: the one who started a case takes it back, as long as nobody else has acted on it and its
diagram allows it (`withdrawable` = "true" on the start event of the case's process).

The case ends with the outcome `withdrawn`: every open task ends, its single-use links and
surveys close, a notice it put up comes down. It is one chained event (kind "withdraw") with the
reason, which replay runs as the step it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..errors import NotAllowed, NotFound, RuleViolation
from ..journal import capture
from ..kernel import Kernel
from ..models import Event, HumanTask, ProcessInstance, PublicNotice, Survey
from ..process.case_fields import start_properties
from ..process.catalog import LoadedVersion
from . import notifications
from .case_ahead import CaseAhead, again_while_moved, case_unit
from .steps import EventMeta

WITHDRAWABLE_PROPERTY = "withdrawable"
WITHDRAW = "withdraw"
# What others do that makes a case theirs too: once any of these is logged, it cannot be withdrawn.
ACTS = frozenset(
    {
        "complete",
        "return",
        "transfer",
        "delegate",
        "resolve",
        "add_signer",
        "sign",
        "message",
        "objection",
        "survey",
    }
)


@dataclass(frozen=True)
class Withdrawal:
    instance_id: int
    event_seq: int
    notified: int


def withdrawable(version: LoadedVersion) -> bool:
    return start_properties(version).get(WITHDRAWABLE_PROPERTY, "").strip().lower() == "true"


def why_not(session: Session, kernel: Kernel, actor: Actor, instance: ProcessInstance) -> str:
    """Why the actor may not withdraw the case now, in English ("" when they may)."""
    if actor.user_id is None or instance.started_by != actor.user_id:
        return "only the one who started a case may withdraw it"
    if instance.status != "running":
        return f"case {instance.id} is {instance.status}; only a running case can be withdrawn"
    if not withdrawable(kernel.catalog.get(session, instance.process_version_id)):
        return "its diagram does not let it be withdrawn"
    acted = session.execute(
        select(Event.actor, Event.kind)
        .where(
            Event.instance_id == instance.id,
            Event.kind.in_(ACTS),
            (Event.actor_user_id.is_(None)) | (Event.actor_user_id != actor.user_id),
        )
        .limit(1)
    ).first()
    if acted is not None:
        return "someone else has acted on it already"
    return ""


def may_withdraw(kernel: Kernel, actor: Actor, instance_id: int) -> bool:
    with kernel.db.unit_of_work(write=False) as uow:
        instance = uow.session.get(ProcessInstance, instance_id)
        return instance is not None and not why_not(uow.session, kernel, actor, instance)


def withdraw(kernel: Kernel, actor: Actor, instance_id: int, reason: str) -> Withdrawal:
    why = (reason or "").strip()
    if len(why) < 2:
        raise RuleViolation("a withdrawal needs a reason of at least 2 characters", field="reason")
    return again_while_moved(
        f"case {instance_id} could not be withdrawn",
        lambda: _withdraw_once(kernel, actor, instance_id, why),
        instance_id=instance_id,
    )


def _withdraw_once(kernel: Kernel, actor: Actor, instance_id: int, why: str) -> Withdrawal:
    """The withdrawal's step is computed ahead of the write lock, then written (`case_ahead`)."""
    with case_unit(kernel) as (uow, begin_write):
        session = uow.session
        instance = session.execute(
            select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
        ).scalar_one_or_none()
        if instance is None:
            raise NotFound(f"no instance {instance_id}", instance_id=instance_id)
        refused = why_not(session, kernel, actor, instance)
        if refused:
            raise NotAllowed(f"case {instance_id} cannot be withdrawn: {refused}", instance_id=instance_id)
        told = _assignees(session, instance_id)
        version = kernel.catalog.get(session, instance.process_version_id)
        case = CaseAhead(kernel, session, instance, version)
        now = kernel.clock.now()
        meta = EventMeta(
            kind=WITHDRAW, actor=actor, role=version.start_role or "", payload={"reason": why[:1000]}
        )
        case.step(case.input(WITHDRAW, now), meta)
        begin_write()
        (seq,) = case.write(lambda _instance: take_down(session, instance_id, now, "withdrawn"))
        name = actor.display_name or actor.username
        sent = notifications.notify(
            session,
            told,
            "outcome",
            instance.title,
            now,
            body=f"{name} 撤回：{why[:500]}",
            instance_id=instance.id,
        )
        uow.commit()
    return Withdrawal(instance_id, seq, sent)


def _assignees(session: Session, instance_id: int) -> list[int]:
    """Those who had a task of the case in hand (assigned to them), told that it is gone."""
    return [
        uid
        for uid in session.execute(
            select(HumanTask.assignee_user_id).where(
                HumanTask.instance_id == instance_id, HumanTask.assignee_user_id.is_not(None)
            )
        ).scalars()
        if uid is not None
    ]


def take_down(session: Session, instance_id: int, now: object, outcome: str) -> None:
    """What a case withdrawn or cancelled (`outcome`) leaves in public: its notices end, its
    surveys close."""
    capture.update_where(
        session,
        PublicNotice,
        (PublicNotice.instance_id == instance_id, PublicNotice.status == "active"),
        {"status": "ended", "outcome": outcome, "closed_at": now},
    )
    capture.update_where(
        session, Survey, (Survey.instance_id == instance_id, Survey.closed_at.is_(None)), {"closed_at": now}
    )
