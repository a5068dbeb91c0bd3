"""Completing tasks: the steps people take (starting lives in `starting`, re-exported here).

Each function is one unit of work: load (and lock) → check role, scope, version and form → compute
the step and the deliveries of the messages waiting for it → persist them → commit once. Any error
before the commit leaves every table as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition

from ..actor import Actor
from ..errors import (
    NotAllowed,
    RuleViolation,
    TokenInvalid,
    XianfengError,
)
from ..kernel import Kernel
from ..models import HumanTask, ProcessInstance, PublicLink, TaskSigner, User
from ..process.runtime import StepResult
from . import authz, citations, forms, prefill, surveys, task_versions
from .case_ahead import CaseAhead, again_while_moved, case_unit
from .outcomes import outcome_of
from .results import StepOutcome
from .starting import start, start_for_subjects
from .steps import EventMeta
from .surveys import SurveyAnswer
from .task_locks import locked

# `start` is re-exported: callers start and complete instances through this module.
__all__ = [
    "BatchResult",
    "check_link",
    "complete",
    "complete_by_token",
    "complete_many",
    "start",
    "start_for_subjects",
]


def complete(
    kernel: Kernel,
    actor: Actor,
    task_id: str,
    data: dict[str, Any],
    expected_version: int | None = None,
    *,
    batch: bool = False,
) -> StepOutcome:
    """Complete a ready user task as `actor`; `expected_version` guards against stale pages.

    `batch` marks one task of a 批量审批: its form must allow that (ui.batch), and the data may only
    hold the batch's fields and choices, so one opinion never decides what it was not meant for.

    No script, condition or decision of the step runs while a lock other cases need is held: its
    service operations are tried while it is computed and done again once it has been (see
    `service_calls`), with the deliveries of the messages waiting for the case (`case_ahead`). On
    SQLite all of it is computed ahead of the write lock. When what the step read moves meanwhile
    it is computed again, a bounded number of times.
    """
    return again_while_moved(
        f"task {task_id} could not be completed",
        lambda: _complete_once(kernel, actor, task_id, data, expected_version, batch),
        task_id=task_id,
    )


def _complete_once(
    kernel: Kernel,
    actor: Actor,
    task_id: str,
    data: dict[str, Any],
    expected_version: int | None,
    batch: bool,
) -> StepOutcome:
    """Compute the step (and the deliveries of the messages it makes the case ready for) before
    taking the lock, then write it (`case_ahead`). On SQLite the task and its case are read in one
    statement outside the write lock, which covers only the writes; on PostgreSQL the case row is
    locked while the step is computed (other cases never need it). Refusals (role, form, stale
    page) are raised from the read; a case that moved before the write is computed again."""
    with case_unit(kernel) as (uow, begin_write):
        session = uow.session
        task, instance, unsigned = locked(session, task_id)
        _check_may_complete(session, actor, task, instance, expected_version)
        prepared = _prepare(session, kernel, actor, task, instance, data, unsigned, batch)
        begin_write()
        outcome = _write(session, prepared)
        uow.commit()
    return outcome


def _check_may_complete(
    session: Session, actor: Actor, task: HumanTask, instance: ProcessInstance, expected_version: int | None
) -> None:
    """Role, scope and delegation; then whether the page's task is still as it was read (only the
    task's own changes make a page stale, not other tasks' steps: `task_versions`)."""
    _check_not_delegated(task)
    authz.check_may_act(actor, task, instance)
    task_versions.check_fresh(session, task, instance, expected_version)


def complete_by_token(kernel: Kernel, token: str, data: dict[str, Any]) -> StepOutcome | SurveyAnswer:
    """Complete a public task, or answer a survey, through its single-use link (no account)."""
    with kernel.db.unit_of_work(write=False) as uow:
        is_survey = surveys.find(uow.session, token) is not None
    if is_survey:
        return surveys.answer(kernel, token, data)
    return again_while_moved(
        "the link's task could not be completed", lambda: _complete_by_token_once(kernel, token, data)
    )


def _complete_by_token_once(kernel: Kernel, token: str, data: dict[str, Any]) -> StepOutcome:
    with case_unit(kernel) as (uow, begin_write):
        session = uow.session
        link = session.get(PublicLink, token)
        now = kernel.clock.now()
        check_link(link, now)
        assert link is not None
        task, instance, unsigned = locked(session, link.task_id)
        actor = Actor.public()
        authz.check_may_act(actor, task, instance)
        prepared = _prepare(session, kernel, actor, task, instance, data, unsigned, batch=False)
        begin_write()

        def use_link(_instance: ProcessInstance) -> None:
            session.refresh(link)  # SQLite read it outside the lock: used meanwhile, the case moved
            check_link(link, now)
            link.used_at = now  # before the step's event, which records it

        outcome = _write(session, prepared, use_link)
        uow.commit()
    return outcome


def check_link(link: PublicLink | None, now: Any) -> None:
    if link is None:
        raise TokenInvalid("this link is not valid", reason="unknown")
    if link.used_at is not None:
        raise TokenInvalid("this link has already been used", reason="used")
    if link.closed_at is not None:
        raise TokenInvalid("this link is closed: the evaluation it belonged to is over", reason="closed")
    if link.expires_at is not None and link.expires_at <= now:
        raise TokenInvalid("this link has expired", reason="expired")


@dataclass(frozen=True)
class _Prepared:
    """A completion computed but not yet written."""

    case: CaseAhead  # the step, then the deliveries it makes the case ready for
    result: StepResult
    files: frozenset[str]  # the files its file fields cite


def _prepare(
    session: Session,
    kernel: Kernel,
    actor: Actor,
    task: HumanTask,
    instance: ProcessInstance,
    data: dict[str, Any],
    unsigned: bool,
    batch: bool,
) -> _Prepared:
    """Check and validate the completion and compute its step; nothing is written."""
    _check_nothing_pending(session, task, unsigned)
    version = kernel.catalog.get(session, instance.process_version_id)
    form = version.form(task.form)
    if batch:
        _check_batchable(form, task, data)
    data = prefill.hold_readonly(version, instance, task, form, data)  # the form's read-only fields
    cleaned = forms.validate(
        session, form, data, instance.branch_id, _citer(session, kernel, actor, instance)
    )
    case = CaseAhead(kernel, session, instance, version)
    step = case.input(
        "complete", kernel.clock.now(), task_id=task.id, data=cleaned, timers_at=case.earliest_pending()
    )
    meta = EventMeta(
        kind="complete",
        actor=actor,
        role=task.role,
        task_id=task.id,
        spec_id=task.spec_id,
        payload={"task": task.name, "data": cleaned},
    )
    result = case.step(step, meta)
    case.deliver(step.at)
    return _Prepared(case, result, frozenset(citations.file_values(form, cleaned)))


def _citer(
    session: Session, kernel: Kernel, actor: Actor, instance: ProcessInstance
) -> Callable[[set[str]], set[str]]:
    """Which stored files the actor may put in this case's file fields (`citations.may_cite`): a
    file cited here counts only through a field whose answers the actor may read, so no one
    opens a withheld file (a paper ballot's photo) by citing it in a field of their own."""

    def cited_here(hashes: set[str]) -> set[str]:
        return citations.cited_in_case(session, kernel, instance, hashes, reader=actor)

    return lambda hashes: citations.may_cite(session, actor, hashes, cited_here)


def _write(
    session: Session, prepared: _Prepared, before: Callable[[ProcessInstance], None] | None = None
) -> StepOutcome:
    """Write a prepared completion and the deliveries it made the case ready for; the files its
    fields cite are marked cited with its step, after `before` (a public link used)."""
    case, result = prepared.case, prepared.result
    at = case.planned[0].step.at

    def first(instance: ProcessInstance) -> None:
        if before is not None:
            before(instance)
        citations.mark_cited(session, set(prepared.files), at)

    seqs = case.write(first)
    return outcome_of(case.instance, result, seqs[0], len(seqs) - 1, case.version)


def _check_batchable(form: FormDefinition, task: HumanTask, data: dict[str, Any]) -> None:
    allowed = form.batch()
    if allowed is None:
        raise NotAllowed(
            f"{task.name} cannot be decided in a batch: its form {form.name} does not allow it",
            task_id=task.id,
            form=form.name,
        )
    fields, choices = allowed
    extra = sorted(set(data) - set(fields))
    if extra:
        raise RuleViolation(
            f"a batch decision of {task.name} may only give {', '.join(fields)}, not {', '.join(extra)}",
            task_id=task.id,
            fields=extra,
        )
    for field, values in choices.items():
        if field in data and data[field] not in values:
            raise RuleViolation(
                f"a batch decision of {task.name} may set {field} only to {', '.join(map(str, values))}",
                task_id=task.id,
                field=field,
            )


def _check_not_delegated(task: HumanTask) -> None:
    if task.delegation_state == "pending":
        raise NotAllowed(
            f"{task.name} is delegated: the delegate gives it back with an opinion, then the "
            f"owner completes it",
            task_id=task.id,
        )


def _check_nothing_pending(session: Session, task: HumanTask, unsigned: bool) -> None:
    """A delegated task goes back to its owner first; co-signers (加签) sign before completion.

    `unsigned` came with the locked task row: the names are only read when someone has not signed.
    """
    _check_not_delegated(task)
    if not unsigned:
        return
    waiting = (
        session.execute(
            select(User.username)
            .join(TaskSigner, TaskSigner.user_id == User.id)
            .where(TaskSigner.task_id == task.id, TaskSigner.signed_at.is_(None))
            .order_by(TaskSigner.id)
        )
        .scalars()
        .all()
    )
    if waiting:
        raise RuleViolation(
            f"{task.name} waits for the co-signers {', '.join(waiting)}",
            task_id=task.id,
            signers=list(waiting),
        )


@dataclass(frozen=True)
class BatchResult:
    task_id: str
    outcome: StepOutcome | None = None
    error: XianfengError | None = None


def complete_many(
    kernel: Kernel, actor: Actor, task_ids: list[str], data: dict[str, Any]
) -> list[BatchResult]:
    """批量审批: the same form data (e.g. one opinion) for several like tasks, each its own step.

    One refused task does not undo the others: each result says what happened to its task.
    """
    results = []
    for task_id in dict.fromkeys(task_ids):
        try:
            outcome = complete(kernel, actor, task_id, dict(data), batch=True)
            results.append(BatchResult(task_id, outcome=outcome))
        except XianfengError as exc:
            results.append(BatchResult(task_id, error=exc))
    return results
