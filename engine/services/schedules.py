"""The scheduler: at each occurrence of a diagram's `cycle`, one instance per subject.

Runs from `tick`. An occurrence is finished once every subject existing at that time has its
instance; until then each tick resumes where the last one stopped (an instance's business key
makes every start happen once, even with several tickers).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import XianfengError
from ..kernel import Kernel
from ..models import ProcessDefinition, ScheduleRun
from ..process.cycles import parse_cycle
from . import chain
from .starting import start_scheduled
from .subjects import subjects_of

log = logging.getLogger("xianfeng.schedules")


@dataclass
class ScheduleReport:
    started: list[tuple[str, int]] = field(default_factory=list)  # (process key, instance id)
    failed: list[tuple[str, str]] = field(default_factory=list)


def run_due(kernel: Kernel, now: dt.datetime) -> ScheduleReport:
    report = ScheduleReport()
    for process_key, occurrence in _due(kernel, now):
        _run_occurrence(kernel, process_key, occurrence, report)
    return report


def _due(kernel: Kernel, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    due = []
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        for definition in session.execute(select(ProcessDefinition)).scalars():
            version = kernel.catalog.get(session, definition.current_version_id)
            if not (version.cycle and version.start_for):
                continue
            occurrence = parse_cycle(version.cycle).latest_at_or_before(now)
            if occurrence is None:
                continue
            finished = session.execute(
                select(ScheduleRun.id).where(
                    ScheduleRun.process_key == definition.process_key, ScheduleRun.occurrence_at == occurrence
                )
            ).first()
            if finished is None:
                due.append((definition.process_key, occurrence))
    return due


def _run_occurrence(
    kernel: Kernel, process_key: str, occurrence: dt.datetime, report: ScheduleReport
) -> None:
    with kernel.db.unit_of_work(write=False) as uow:
        version = kernel.catalog.current(uow.session, process_key)
        assert version.start_for is not None
        subjects = subjects_of(uow.session, version.start_for, occurrence, None)
    failures = 0
    for subject in subjects:
        try:
            outcome = start_scheduled(kernel, process_key, occurrence, subject)
        except XianfengError as exc:
            failures += 1
            log.error("scheduled start of %s for %s failed: %s", process_key, subject.key, exc.message)
            report.failed.append((process_key, f"{subject.key}: {exc.message}"))
            continue
        if outcome is not None:
            report.started.append((process_key, outcome.instance_id))
    if failures == 0:
        _finish(kernel, process_key, occurrence, len(subjects))


def _finish(kernel: Kernel, process_key: str, occurrence: dt.datetime, count: int) -> None:
    """Record the occurrence as done; a ticker that lost the race to record it has nothing to add."""
    try:
        with kernel.db.unit_of_work() as uow:
            uow.session.add(
                ScheduleRun(
                    process_key=process_key,
                    occurrence_at=occurrence,
                    started_at=kernel.clock.now(),
                    instances=count,
                )
            )
            chain.record(
                uow.session,
                kernel,
                None,
                "schedule",
                {"process_key": process_key, "occurrence": occurrence.isoformat(), "instances": count},
            )
            uow.commit()
    except IntegrityError:
        return
