"""Starting instances: by a person with the start form, by a branch for all its subjects at once
(`startFor`), and by the scheduler at each occurrence of a diagram's `cycle`.

A per-subject instance belongs to one occurrence of its cycle, whoever starts it: its business key
is the occurrence and the subject, so the scheduler, a secretary starting one subject and a
secretary pressing "start for all" (twice, or at the same time as a colleague) make one instance
per subject per cycle, never two.

Every start (a villager's comment's too: `village_comments`) is computed ahead of the write lock
and then written (`starts_ahead`): no start's script runs under a lock other cases need.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition

from ..actor import Actor
from ..clock import CHINA_TZ
from ..errors import NotFound, RuleViolation, TaskNotReady
from ..kernel import Kernel
from ..models import ProcessInstance
from ..process.catalog import LoadedVersion
from ..process.cycles import parse_cycle
from . import authz, forms
from .case_ahead import again_while_moved
from .results import StepOutcome
from .starts_ahead import starts_ahead
from .subjects import Subject, subjects_of

SCHEDULER = Actor(user_id=None, username="scheduler", roles=frozenset())
_BULK_ATTEMPTS = 3


@dataclass(frozen=True)
class StartForm:
    process_key: str
    name: str
    form: FormDefinition | None  # None: the process starts without data (e.g. a division of areas)


def start_form(kernel: Kernel, actor: Actor, process_key: str) -> StartForm:
    """The current version's start form, refused (NotAllowed) to those who may not start it.

    A process started per subject (`startFor`) has no start page of its own: the registers start it
    for every subject at once (`start_for_all`)."""
    with kernel.db.unit_of_work(write=False) as uow:
        version = kernel.catalog.current(uow.session, process_key)
        authz.check_may_start(actor, process_key, version.start_role)
        name = version.name or process_key
        if version.start_form:
            return StartForm(process_key, name, version.form(version.start_form))
        if version.start_for:
            raise NotFound(f"process {process_key} is started per subject", process_key=process_key)
        return StartForm(process_key, name, None)


@dataclass(frozen=True)
class BulkStart:
    """What "start for all" did: the instances it started, and the ids of the instances that the
    subjects it skipped already have in the current cycle."""

    started: list[StepOutcome]
    skipped: list[int]


def business_key(occurrence: dt.datetime, subject: Subject) -> str:
    return f"{occurrence.astimezone(dt.UTC):%Y%m%dT%H%M}:{subject.key}"


def current_business_key(version: LoadedVersion, now: dt.datetime, subject: Subject) -> str:
    """A start by hand belongs to the cycle's latest occurrence, like the scheduler's start for it;
    without a cycle (or before its first occurrence) it belongs to the day, in China time."""
    occurrence = parse_cycle(version.cycle).latest_at_or_before(now) if version.cycle else None
    if occurrence is None:
        return f"{now.astimezone(CHINA_TZ):%Y%m%d}:{subject.key}"
    return business_key(occurrence, subject)


def _instance_with_key(session: Session, process_key: str, key: str) -> int | None:
    return session.execute(
        select(ProcessInstance.id).where(
            ProcessInstance.process_key == process_key, ProcessInstance.business_key == key
        )
    ).scalar_one_or_none()


def is_per_subject(kernel: Kernel, process_key: str) -> bool:
    with kernel.db.unit_of_work(write=False) as uow:
        return kernel.catalog.current(uow.session, process_key).start_for is not None


def start(kernel: Kernel, actor: Actor, process_key: str, data: dict[str, Any] | None = None) -> StepOutcome:
    """Start one instance of the current version of `process_key`.

    With a start form, `data` is the form's data. For a process started per subject (`startFor`),
    `data` names one subject (e.g. `{"post_id": 3}`) within the actor's scope; a subject that
    already has its instance for the current cycle is refused (RuleViolation naming it).

    No script, condition or decision of the start runs under a lock other cases need: the start is
    computed ahead and written under the lock (`starts_ahead`), again if what it read moved.
    """
    try:
        return again_while_moved(
            f"{process_key} could not be started",
            lambda: _start(kernel, actor, process_key, data),
            process_key=process_key,
        )
    except IntegrityError as exc:  # only per-subject starts have a business key: a concurrent one won
        raise RuleViolation(
            f"{process_key} was started for {data} in this cycle by a concurrent request",
            process_key=process_key,
            data=data,
        ) from exc


def _start(kernel: Kernel, actor: Actor, process_key: str, data: dict[str, Any] | None) -> StepOutcome:
    with starts_ahead(kernel) as starts:
        session = starts.session
        version = kernel.catalog.current(session, process_key)
        authz.check_may_start(actor, process_key, version.start_role)
        if version.start_for:
            subject = _chosen_subject(session, kernel, version, actor, data or {})
            key = current_business_key(version, kernel.clock.now(), subject)
            existing = _instance_with_key(session, process_key, key)
            if existing is not None:
                raise RuleViolation(
                    f"{subject.key} already has instance {existing} of {process_key} in this cycle",
                    process_key=process_key,
                    instance_id=existing,
                )
            starts.add(version, actor, subject.data, subject.branch_id, subject.village_id, key)
        else:
            cleaned = _start_data(session, version, data, actor.branch_id)
            starts.add(version, actor, cleaned, actor.branch_id, None, "")
        (outcome,) = starts.write()
    return outcome


def start_for_subjects(kernel: Kernel, actor: Actor, process_key: str) -> list[StepOutcome]:
    """A branch starts the process for every current subject in its scope (e.g. all its posts);
    the instances started (subjects already started this cycle are skipped, see `start_for_all`)."""
    return start_for_all(kernel, actor, process_key).started


def start_for_all(kernel: Kernel, actor: Actor, process_key: str) -> BulkStart:
    """Start the process for every current subject in the actor's scope that has no instance in
    the current cycle yet, in one unit of work: every start computed ahead, then all written.

    Two presses at once: the unique business key lets one insert per subject win; the loser's
    whole transaction is rolled back (when its case rows are tried or done again, or at commit)
    and run again, and then skips the winner's instances.
    """
    for _attempt in range(_BULK_ATTEMPTS - 1):
        try:
            return _start_for_all_ahead(kernel, actor, process_key)
        except IntegrityError:
            continue
    return _start_for_all_ahead(kernel, actor, process_key)


def _start_for_all_ahead(kernel: Kernel, actor: Actor, process_key: str) -> BulkStart:
    return again_while_moved(
        f"{process_key} could not be started",
        lambda: _start_for_all_once(kernel, actor, process_key),
        process_key=process_key,
    )


def _start_for_all_once(kernel: Kernel, actor: Actor, process_key: str) -> BulkStart:
    with starts_ahead(kernel) as starts:
        session = starts.session
        version = kernel.catalog.current(session, process_key)
        authz.check_may_start(actor, process_key, version.start_role)
        if not version.start_for:
            raise TaskNotReady(
                f"process {process_key} is not started per subject; give its start form's data"
            )
        scope = None if actor.roles & authz.TOWN_WIDE_READERS else actor.branch_id
        now = kernel.clock.now()
        skipped = []
        for s in subjects_of(session, version.start_for, now, scope):
            key = current_business_key(version, now, s)
            existing = _instance_with_key(session, process_key, key)
            if existing is not None:
                skipped.append(existing)
                continue
            starts.add(version, actor, s.data, s.branch_id, s.village_id, key)
        started = starts.write()
    return BulkStart(started=started, skipped=skipped)


def start_scheduled(
    kernel: Kernel, process_key: str, occurrence: dt.datetime, subject: Subject
) -> StepOutcome | None:
    """The scheduler's start for one subject of one occurrence; None if it already exists.

    Several tickers may race here: the unique business key lets exactly one insert win, and the
    losers' whole transaction is rolled back (the violation surfaces at insert or at commit).
    """
    key = business_key(occurrence, subject)
    try:
        return again_while_moved(
            f"{process_key} could not be started",
            lambda: _start_scheduled_once(kernel, process_key, key, subject),
            process_key=process_key,
        )
    except IntegrityError:
        return None


def _start_scheduled_once(kernel: Kernel, process_key: str, key: str, subject: Subject) -> StepOutcome | None:
    with starts_ahead(kernel) as starts:
        session = starts.session
        if _instance_with_key(session, process_key, key) is not None:
            return None
        version = kernel.catalog.current(session, process_key)
        starts.add(version, SCHEDULER, subject.data, subject.branch_id, subject.village_id, key)
        (outcome,) = starts.write()
    return outcome


def _chosen_subject(
    session: Session, kernel: Kernel, version: LoadedVersion, actor: Actor, data: dict[str, Any]
) -> Subject:
    assert version.start_for is not None
    scope = None if actor.roles & authz.TOWN_WIDE_READERS else actor.branch_id
    for subject in subjects_of(session, version.start_for, kernel.clock.now(), scope):
        if subject.data == data:
            return subject
    raise NotFound(
        f"{data} is not a current subject of {version.process_key} within {actor.username}'s scope "
        f"(give none of them to start for all)",
        data=data,
    )


def _start_data(
    session: Session, version: LoadedVersion, data: dict[str, Any] | None, branch_id: int | None
) -> dict[str, Any]:
    if version.start_form:
        return forms.validate(session, version.form(version.start_form), data or {}, branch_id)
    if data:
        raise TaskNotReady(f"process {version.process_key} takes no start data")
    return {}
