"""Moving running cases to a newer version of their process, with a reason on the chain.

A case moves only when nothing it did or waits at would change under it (`process.migration`) and
its history, replayed on the new version, takes the same path (the what-if's rehearsal). The move is
a chained event of the case: `verify` replays the events before it on the old version, the move
itself, and the events after it on the new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...errors import MigrationRefused, NotFound, RuleViolation, XianfengError
from ...kernel import Kernel
from ...models import HumanTask, ProcessInstance, ProcessVersion
from ...models.org import ROLE_ADMIN
from ...process.catalog import LoadedVersion
from ..case_ahead import CaseAhead, again_while_moved, case_unit
from ..steps import EventMeta, compute, step_input_for
from . import whatif
from .interventions import Intervention, check_admin, locked_instance, reason_of

BLOCKING_VERDICTS = frozenset({"inputs_no_longer_fit", "different_path", "different_outcome"})


@dataclass
class BatchMigration:
    """Each case waiting at one step, moved or not, and why not."""

    moved: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def _target(session: Session, kernel: Kernel, instance: ProcessInstance, to_version: int) -> LoadedVersion:
    row = session.execute(
        select(ProcessVersion).where(
            ProcessVersion.process_key == instance.process_key, ProcessVersion.version == to_version
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{instance.process_key} has no version {to_version}", version=to_version)
    current = kernel.catalog.get(session, instance.process_version_id)
    if to_version <= current.version:
        raise RuleViolation(
            f"case {instance.id} is on version {current.version}; it can only move to a newer one",
            version=to_version,
        )
    return kernel.catalog.get(session, row.id)


def _rehearse(session: Session, kernel: Kernel, target: LoadedVersion, instance: ProcessInstance) -> None:
    verdict = whatif.rehearse(session, kernel, target, instance)
    if verdict.verdict in BLOCKING_VERDICTS:
        raise MigrationRefused(
            f"case {instance.id}'s history does not replay on version {target.version}: {verdict.detail}",
            instance_id=instance.id,
        )


def migrate(kernel: Kernel, actor: Actor, instance_id: int, to_version: int, reason: str) -> Intervention:
    """Move one case to version `to_version` of its process; refused naming the element otherwise."""
    check_admin(actor)
    why = reason_of(reason)
    return again_while_moved(
        f"case {instance_id} could not be migrated",
        lambda: _migrate_once(kernel, actor, instance_id, to_version, why),
        instance_id=instance_id,
    )


def _migrate_once(kernel: Kernel, actor: Actor, instance_id: int, to_version: int, why: str) -> Intervention:
    """The rehearsal of the case's history on the new version and the migration's step are
    computed ahead of the write lock, then written (`case_ahead`)."""
    with case_unit(kernel) as (uow, begin_write):
        session = uow.session
        instance = locked_instance(session, instance_id, ("running", "suspended"))
        old = kernel.catalog.get(session, instance.process_version_id)
        new = _target(session, kernel, instance, to_version)
        _rehearse(session, kernel, new, instance)
        case = CaseAhead(kernel, session, instance, old)
        payload = {
            "from_version": old.version,
            "to_version": new.version,
            "from_version_id": old.id,
            "to_version_id": new.id,
            "reason": why,
        }
        meta = EventMeta(kind="migrate", actor=actor, role=ROLE_ADMIN, payload=payload)
        case.step(case.input("migrate", kernel.clock.now()), meta, version=new, migrate_from=old)
        begin_write()

        def move(row: ProcessInstance) -> None:
            row.process_version_id = new.id

        (seq,) = case.write(move)
        uow.commit()
    return Intervention(instance_id, "migrate", seq)


@dataclass(frozen=True)
class MigrationCheck:
    """Whether a case may move to a version, and if not, why (each blocking element)."""

    allowed: bool
    reasons: list[str]
    # Each blocking element with its reason ({"element", "reason"}), for pages that name the step.
    blockers: list[dict[str, str]] = field(default_factory=list)


def check(kernel: Kernel, actor: Actor, instance_id: int, to_version: int) -> MigrationCheck:
    """What `migrate` would say, without moving anything: for the page that asks before it moves."""
    check_admin(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"no case {instance_id}", instance_id=instance_id)
        try:
            old = kernel.catalog.get(session, instance.process_version_id)
            new = _target(session, kernel, instance, to_version)
            _rehearse(session, kernel, new, instance)
            step = step_input_for(instance, "migrate", kernel.clock.now())
            compute(session, kernel, instance, new, step, migrate_from=old)
        except MigrationRefused as exc:
            found = exc.params.get("blockers") or []
            reasons = [f"{b['element']}: {b['reason']}" for b in found] or [exc.message]
            return MigrationCheck(False, reasons, list(found))
        except RuleViolation as exc:
            return MigrationCheck(False, [exc.message])
    return MigrationCheck(True, [])


def migrate_waiting_at(
    kernel: Kernel, actor: Actor, process_key: str, element: str, to_version: int, reason: str
) -> BatchMigration:
    """Move every case of `process_key` that waits at `element` (a user task) to `to_version`,
    each in its own transaction: one refused case does not hold back the others."""
    check_admin(actor)
    reason_of(reason)
    with kernel.db.unit_of_work(write=False) as uow:
        ids = sorted(
            set(
                uow.session.execute(
                    select(HumanTask.instance_id)
                    .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                    .where(ProcessInstance.process_key == process_key, HumanTask.spec_id == element)
                ).scalars()
            )
        )
    report = BatchMigration()
    for instance_id in ids:
        try:
            migrate(kernel, actor, instance_id, to_version, reason)
            report.moved.append(instance_id)
        except XianfengError as exc:
            report.refused[instance_id] = exc.message
    return report
