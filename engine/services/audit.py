"""What auditors trust: the chain verifies, and replaying the log reproduces every stored state.

Replay re-runs each instance's pinned diagrams on its logged inputs, with the logged business time
and the logged effects (service-task results, working-day answers) fed back, and compares the hash
of the snapshot after every step with the hash the log recorded. Nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import parse_instant
from ..errors import ReplayMismatch, XianfengError
from ..kernel import Kernel
from ..models import Event, LedgerHead, ProcessInstance
from ..process import history
from ..process.effects import ReplayedEffects
from ..process.helpers import StepHelpers
from ..process.runtime import StepInput, run_step
from ..process.serialization import state_hash

VERB_KINDS = frozenset({"transfer", "delegate", "resolve", "add_signer", "sign", "copy", "urge", "survey"})


@dataclass
class VerifyReport:
    events: int = 0
    instances: int = 0
    head_seq: int = 0
    head_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    kernel: Kernel,
    progress: Callable[[int], None] | None = None,
    anchor: tuple[int, str] | None = None,
    replay: bool = True,
) -> VerifyReport:
    """Check the whole chain, then replay every instance."""
    report = VerifyReport()
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        report.events = session.execute(select(func.count()).select_from(Event)).scalar_one()
        report.problems.extend(str(p) for p in history.verify_chain(session, progress))
        head = session.get(LedgerHead, history.HEAD_ID)
        report.head_seq, report.head_hash = (head.seq, head.hash) if head else (0, "")
        if anchor is not None:
            report.problems.extend(_check_anchor(session, *anchor))
        if replay:
            ids = session.execute(select(ProcessInstance.id).order_by(ProcessInstance.id)).scalars().all()
            report.instances = len(ids)
            for instance_id in ids:
                report.problems.extend(replay_instance(session, kernel, instance_id))
    return report


def _check_anchor(session: Session, seq: int, digest: str) -> list[str]:
    row = session.get(Event, seq)
    if row is None:
        return [f"anchor: event {seq} no longer exists"]
    if row.hash != digest:
        return [
            f"anchor: event {seq} now has hash {row.hash[:12]}…, the published anchor says {digest[:12]}…"
        ]
    return []


def replay_instance(session: Session, kernel: Kernel, instance_id: int) -> list[str]:
    """Replay one instance from its first event; describe the first divergence, if any."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        return [f"instance {instance_id}: missing"]
    version = kernel.catalog.get(session, instance.process_version_id)
    events = (
        session.execute(
            select(Event).where(Event.instance_id == instance_id).order_by(Event.instance_version)
        )
        .scalars()
        .all()
    )
    snapshot: str | None = None
    for event in events:
        where = f"instance {instance_id}, event {event.seq} ({event.kind} v{event.instance_version})"
        problem, snapshot = _replay_one(kernel, version, instance_id, event, snapshot)
        if problem:
            return [f"{where}: {problem}"]
    if (snapshot or "") != instance.state_json:
        return [f"instance {instance_id}: the stored snapshot differs from the state its events replay to"]
    return []


def _replay_one(
    kernel: Kernel, version: Any, instance_id: int, event: Event, snapshot: str | None
) -> tuple[str, str | None]:
    """(problem or "", snapshot after the event)."""
    if event.bundle_hash != version.bundle_hash:
        return (
            f"ran on diagram bundle {event.bundle_hash[:12]}…, the instance is pinned to "
            f"{version.bundle_hash[:12]}…",
            snapshot,
        )
    if event.kind in VERB_KINDS:  # changes who acts or who is told, never the workflow
        if state_hash(snapshot or "") != event.state_hash:
            return f"the {event.kind} was logged against a state replay does not reach", snapshot
        return "", snapshot
    try:
        replayed = _replay_event(kernel, version, instance_id, event, snapshot)
    except (XianfengError, ValueError, KeyError) as exc:
        return f"replay failed: {getattr(exc, 'message', exc)}", snapshot
    if state_hash(replayed) != event.state_hash:
        return (
            f"replayed state {state_hash(replayed)[:12]}… differs from the logged {event.state_hash[:12]}…",
            replayed,
        )
    return "", replayed


def _replay_event(kernel: Kernel, version: Any, instance_id: int, event: Event, snapshot: str | None) -> str:
    payload = json.loads(event.payload)
    effects = ReplayedEffects(json.loads(event.effects))
    step = StepInput(
        kind=event.kind,
        at=event.business_time,
        seed=f"{instance_id}:{event.instance_version}",
        task_id=event.task_id,
        data=payload.get("data", {}) or {},
        message=payload.get("name", ""),
        timers_at=parse_instant(payload["timers_at"]) if payload.get("timers_at") else None,
    )
    result = run_step(
        version,
        snapshot,
        step,
        effects,
        services=_no_service,
        helpers=StepHelpers(event.business_time, _no_calendar),
        time_limit=kernel.settings.script_time_limit,
    )
    effects.assert_consumed()
    if not result.caught:
        raise ReplayMismatch("the logged message was not caught on replay")
    return result.snapshot


def _no_service(op: str, params: dict[str, Any]) -> Any:
    raise ReplayMismatch(f"replay tried to run service task {op} instead of reading its logged result")


def _no_calendar() -> Any:
    raise ReplayMismatch("replay tried to read the holiday calendar instead of the logged answer")


def count_events(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Event)).scalar_one())
