"""Replay: re-run an instance's pinned diagrams on its logged inputs.

The logged business time and effects (service-task results, working-day answers) are fed back, and
the hash of the snapshot after every step is compared with the hash the log recorded. Nothing is
written. The history pages use `replay_event` to show a case as it was after any event.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import parse_instant
from ...errors import ReplayMismatch, XianfengError
from ...kernel import Kernel
from ...models import Event, ProcessInstance
from ...process import history
from ...process.effects import ReplayedEffects
from ...process.helpers import StepHelpers
from ...process.runtime import StepInput, run_step
from ...process.serialization import state_hash

VERB_KINDS = frozenset(
    {"transfer", "delegate", "resolve", "add_signer", "sign", "copy", "urge", "survey", "objection"}
)


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
        replayed = replay_event(kernel, version, instance_id, event, snapshot)
    except (XianfengError, ValueError, KeyError) as exc:
        return f"replay failed: {getattr(exc, 'message', exc)}", snapshot
    if state_hash(replayed) != event.state_hash:
        return (
            f"replayed state {state_hash(replayed)[:12]}… differs from the logged {event.state_hash[:12]}…",
            replayed,
        )
    return "", replayed


def replay_event(kernel: Kernel, version: Any, instance_id: int, event: Event, snapshot: str | None) -> str:
    payload = json.loads(event.payload)
    effects = ReplayedEffects(json.loads(event.effects))
    step = StepInput(
        kind=event.kind,
        at=history.step_time(event),
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
        helpers=StepHelpers(history.step_time(event), _no_calendar),
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
