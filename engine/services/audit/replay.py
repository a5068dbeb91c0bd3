"""Replay: re-run an instance's pinned diagrams on its logged inputs.

The logged business time and effects (service-task results, working-day answers) are fed back, and
the hash of the snapshot after every step is compared with the hash the log recorded. Nothing is
written. The history pages use `replay_event` to show a case as it was after any event.

Each step runs through `runtime.run_step`, the function live steps run. A live step restores the
instance from its stored snapshot; replay, having just made that snapshot from a workflow and
matched its hash with the log's, continues from that workflow instead of restoring it (a restore
is a third of a step's cost). Whenever a continued step does not reproduce the logged hash or
fails, the same step is run again the live way, restored from the snapshot before it, and only
that result counts: a continuation can only save time, never accept a state a restore would not
reach. The step after a start always restores (a new workflow's data is not ordered as a
restored one's).

Nothing stored can stop a replay: a version that is gone or whose files do not match their hashes
(`pinned`), an event whose payload or effects are not what a step logs, an error of any kind
inside a step — each becomes a problem naming the instance and the event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import parse_instant
from ...errors import ReplayMismatch
from ...kernel import Kernel
from ...models import Event, ProcessInstance, ProcessVersion
from ...process.catalog import LoadedVersion
from ...process.effects import ReplayedEffects
from ...process.helpers import StepHelpers
from ...process.history import STEPPED_AT
from ...process.runtime import StepInput, StepResult, release, run_step
from ...process.scripting import ScriptTimeout
from ...process.serialization import state_hash
from . import checkpoints
from .pinned import PinnedVersions, describe

# Events that change who acts, who is told or whether the case may move, never the workflow itself.
VERB_KINDS = frozenset(
    {
        "transfer",
        "delegate",
        "resolve",
        "add_signer",
        "sign",
        "copy",
        "urge",
        "survey",
        "objection",
        "reassign",
        "suspend",
        "resume",
    }
)
STEP_ERRORS = (Exception, ScriptTimeout)  # ScriptTimeout is a BaseException that scripts cannot catch


@dataclass(frozen=True)
class LoggedEvent:
    """The columns of an event that replay reads."""

    seq: int
    instance_version: int | None
    kind: str
    task_id: str
    payload: str
    effects: str
    business_time: dt.datetime
    bundle_hash: str
    state_hash: str
    chain_hash: str = ""  # the event's `hash` in the chain: what a checkpoint's digest is made of

    @property
    def where(self) -> str:
        return f"event {self.seq} ({self.kind} v{self.instance_version})"


_EVENT_COLUMNS = select(
    Event.seq,
    Event.instance_version,
    Event.kind,
    Event.task_id,
    Event.payload,
    Event.effects,
    Event.business_time,
    Event.bundle_hash,
    Event.state_hash,
    Event.hash.label("chain_hash"),
)
_INSTANCE = select(
    ProcessInstance.process_version_id, ProcessInstance.state_json, ProcessInstance.process_key
)
MIGRATE = "migrate"


@dataclass(frozen=True)
class Replayed:
    """One case's replay: its problems (none: it replays as stored), the events a checkpoint
    spared, why a checkpoint was not trusted (if one was there), and the checkpoint to keep."""

    problems: list[str]
    replayed: int = 0
    spared: int = 0
    refused: str = ""
    checkpoint: checkpoints.Checkpoint | None = None


def replay_instance(
    session: Session, kernel: Kernel, instance_id: int, versions: PinnedVersions | None = None
) -> list[str]:
    """Replay one instance from its first event; describe the first divergence, if any.

    Never raises for what the database holds: anything that stops the replay is the problem.
    """
    return replay_case(session, kernel, instance_id, versions).problems


def replay_case(
    session: Session,
    kernel: Kernel,
    instance_id: int,
    versions: PinnedVersions | None = None,
    key: bytes | None = None,
    trust: bool = True,
) -> Replayed:
    """Replay one instance. With `key`: from its checkpoint when that is trusted (and `trust`),
    and with the checkpoint to keep when the replay is clean (`checkpoints`)."""
    try:
        return _replay_instance(session, kernel, instance_id, versions or PinnedVersions(kernel), key, trust)
    except STEP_ERRORS as exc:
        return Replayed([f"instance {instance_id}: cannot be replayed: {describe(exc)}"])


def _replay_instance(
    session: Session,
    kernel: Kernel,
    instance_id: int,
    versions: PinnedVersions,
    key: bytes | None,
    trust: bool,
) -> Replayed:
    instance = session.execute(_INSTANCE.where(ProcessInstance.id == instance_id)).one_or_none()
    if instance is None:
        return Replayed([f"instance {instance_id}: missing"])
    events = [
        LoggedEvent(**row._mapping)
        for row in session.execute(
            _EVENT_COLUMNS.where(Event.instance_id == instance_id).order_by(Event.instance_version)
        )
    ]

    def version_of(digest: str) -> LoadedVersion | str:
        return _version_by_bundle(session, versions, instance.process_key, digest)

    # A case that moved to a newer version (a migration) began on an older one: its first event says which.
    version = versions.get(session, instance.process_version_id)
    if events and not isinstance(version, str) and events[0].bundle_hash != version.bundle_hash:
        version = version_of(events[0].bundle_hash)
    if isinstance(version, str):
        first = f", {events[0].where}" if events else ""
        return Replayed([f"instance {instance_id}{first}: cannot be replayed: {version}"])
    start = _Start(0, None, version, "")
    if key is not None and trust:
        start = _checkpointed(session, instance_id, events, key, start, _known(version, version_of))
    problem, snapshot = replay_events(
        kernel, start.version, instance_id, events[start.index :], version_of, start.snapshot
    )
    problems = [problem] if problem else _compare_stored(instance_id, snapshot, instance.state_json)
    made = None
    if key is not None and not problems and snapshot is not None and start.index < len(events):
        made = _checkpoint_at_the_end(instance_id, events, snapshot)
    return Replayed(problems, len(events) - start.index, start.index, start.refused, made)


def _checkpoint_at_the_end(
    instance_id: int, events: list[LoggedEvent], snapshot: str
) -> checkpoints.Checkpoint:
    last = events[-1]
    return checkpoints.Checkpoint(
        instance_id,
        int(last.instance_version or 0),
        last.seq,
        last.bundle_hash,
        checkpoints.digest_of(events),
        snapshot,
    )


def _known(
    version: LoadedVersion, version_of: Callable[[str], LoadedVersion | str]
) -> Callable[[str], LoadedVersion | str]:
    """`version_of` without its query for the version already in hand (most cases never migrate)."""
    return lambda digest: version if digest == version.bundle_hash else version_of(digest)


@dataclass(frozen=True)
class _Start:
    index: int  # the first event to replay
    snapshot: str | None  # the state before it
    version: LoadedVersion
    refused: str  # why the case's checkpoint was not trusted, if it had one


def _checkpointed(
    session: Session,
    instance_id: int,
    events: list[LoggedEvent],
    key: bytes,
    first: _Start,
    version_of: Callable[[str], LoadedVersion | str],
) -> _Start:
    """Where the case's trusted checkpoint lets replay start; otherwise `first`, the case's first
    event, with why its checkpoint is not trusted (nothing when it has none)."""
    row = checkpoints.load(session, instance_id)
    if row is None:
        return first
    found = checkpoints.start_after(row, events, key)
    if isinstance(found, str):
        return dataclasses.replace(first, refused=found)
    version = version_of(row.bundle_hash)  # its files checked against their hashes, as for any replay
    if isinstance(version, str):
        return dataclasses.replace(first, refused=version)
    return _Start(found + 1, row.snapshot, version, "")


def _compare_stored(instance_id: int, replayed: str | None, stored: Any) -> list[str]:
    if (replayed or "") == stored:
        return []
    try:
        json.loads(stored)
    except (TypeError, ValueError):
        return [
            f"instance {instance_id}: the stored snapshot is not JSON (nor the state its events replay to)"
        ]
    return [f"instance {instance_id}: the stored snapshot differs from the state its events replay to"]


def replay_events(
    kernel: Kernel,
    version: LoadedVersion,
    instance_id: int,
    events: list[LoggedEvent],
    version_of: Callable[[str], LoadedVersion | str] | None = None,
    snapshot: str | None = None,
) -> tuple[str, str | None]:
    """(the first divergence naming instance and event, or ""; the snapshot replayed up to it).

    `snapshot`: the state before the first of `events` (none: they start with the case's start).
    A migration event moves the replay to the version it names (`version_of` finds it by bundle
    hash): the events before it replay on the old version, the migration itself and the rest on
    the new one."""
    live: Any = None
    try:
        for event in events:
            if event.kind == MIGRATE:
                if live is not None:
                    release(live)
                    live = None
                problem, snapshot, version = _migrated(
                    kernel, version, instance_id, event, snapshot, version_of
                )
                if problem:
                    return f"instance {instance_id}, {event.where}: {problem}", snapshot
                continue
            problem, snapshot, live = _replay_one(kernel, version, instance_id, event, snapshot, live)
            if problem:
                return f"instance {instance_id}, {event.where}: {problem}", snapshot
        return "", snapshot
    finally:
        if live is not None:
            release(live)


def _replay_one(
    kernel: Kernel,
    version: LoadedVersion,
    instance_id: int,
    event: LoggedEvent,
    snapshot: str | None,
    live: Any,
) -> tuple[str, str | None, Any]:
    """(problem or "", snapshot after the event, the workflow to continue from or None)."""
    if event.bundle_hash != version.bundle_hash:
        return (
            f"ran on diagram bundle {str(event.bundle_hash)[:12]}…, the instance is pinned to "
            f"{version.bundle_hash[:12]}…",
            snapshot,
            live,
        )
    if event.kind in VERB_KINDS:  # changes who acts or who is told, never the workflow
        if state_hash(snapshot or "") != event.state_hash:
            return f"the {event.kind} was logged against a state replay does not reach", snapshot, live
        return "", snapshot, live
    if live is not None:
        continued = _continue(kernel, version, instance_id, event, snapshot, live)
        if continued is not None:
            return "", continued.snapshot, continued.workflow
    return _restored(kernel, version, instance_id, event, snapshot)


def _continue(
    kernel: Kernel,
    version: LoadedVersion,
    instance_id: int,
    event: LoggedEvent,
    snapshot: str | None,
    live: Any,
) -> StepResult | None:
    """The step run on the kept workflow, if it reproduces the logged hash; otherwise None (the
    workflow is then released and the step is run again from the restored snapshot)."""
    try:
        result = _run(kernel, version, instance_id, event, snapshot, resume=live, keep=True)
    except STEP_ERRORS:
        release(live)  # again, if run_step did: releasing twice is harmless
        return None
    if state_hash(result.snapshot) == event.state_hash:
        return result
    if result.workflow is not None:
        release(result.workflow)
    return None


def _restored(
    kernel: Kernel, version: LoadedVersion, instance_id: int, event: LoggedEvent, snapshot: str | None
) -> tuple[str, str | None, Any]:
    try:
        result = _run(kernel, version, instance_id, event, snapshot, keep=snapshot is not None)
    except STEP_ERRORS as exc:
        return f"replay failed: {describe(exc)}", snapshot, None
    replayed = state_hash(result.snapshot)
    if replayed != event.state_hash:
        if result.workflow is not None:
            release(result.workflow)
        return (
            f"replayed state {replayed[:12]}… differs from the logged {str(event.state_hash)[:12]}…",
            result.snapshot,
            None,
        )
    return "", result.snapshot, result.workflow


def _migrated(
    kernel: Kernel,
    version: LoadedVersion,
    instance_id: int,
    event: LoggedEvent,
    snapshot: str | None,
    version_of: Callable[[str], LoadedVersion | str] | None,
) -> tuple[str, str | None, LoadedVersion]:
    """Replay a migration: the case moves to the version the event ran on, as it did live."""
    target = version_of(event.bundle_hash) if version_of is not None else "no version to move to"
    if isinstance(target, str):
        return f"the migration cannot be replayed: {target}", snapshot, version
    try:
        result = _run(kernel, target, instance_id, event, snapshot, migrate_from=version)
    except STEP_ERRORS as exc:
        return f"replay failed: {describe(exc)}", snapshot, version
    replayed = state_hash(result.snapshot)
    if replayed != event.state_hash:
        return (
            f"replayed state {replayed[:12]}… differs from the logged {str(event.state_hash)[:12]}…",
            result.snapshot,
            target,
        )
    return "", result.snapshot, target


def _version_by_bundle(
    session: Session, versions: PinnedVersions, key: str, digest: str
) -> LoadedVersion | str:
    found = session.execute(
        select(ProcessVersion.id).where(
            ProcessVersion.process_key == key, ProcessVersion.bundle_hash == digest
        )
    ).scalar_one_or_none()
    if found is None:
        return f"no version of {key} has bundle {str(digest)[:12]}…"
    return versions.get(session, found)


def replay_event(kernel: Kernel, version: Any, instance_id: int, event: Any, snapshot: str | None) -> str:
    """The snapshot after `event` (an `Event` row or a `LoggedEvent`), replayed on `snapshot`."""
    return _run(kernel, version, instance_id, event, snapshot).snapshot


def _run(
    kernel: Kernel,
    version: Any,
    instance_id: int,
    event: Any,
    snapshot: str | None,
    *,
    resume: Any = None,
    keep: bool = False,
    migrate_from: LoadedVersion | None = None,
) -> StepResult:
    step, effects = _logged_step(instance_id, event)
    result = run_step(
        version,
        snapshot,
        step,
        effects,
        services=_no_service,
        helpers=StepHelpers(step.at, _no_calendar),
        time_limit=kernel.settings.script_time_limit,
        resume=resume,
        keep=keep,
        migrate_from=migrate_from,
    )
    try:
        effects.assert_consumed()
        if not result.caught:
            raise ReplayMismatch("the logged message was not caught on replay")
    except ReplayMismatch:
        if result.workflow is not None:
            release(result.workflow)
        raise
    return result


def _logged_step(instance_id: int, event: Any) -> tuple[StepInput, ReplayedEffects]:
    """The step's input and effects as logged; a precise error when they are not what a step logs."""
    payload = _parsed(event.payload, "its payload is")
    if not isinstance(payload, dict) or not isinstance(payload.get("data") or {}, dict):
        raise ReplayMismatch("its payload is not a JSON object with the step's data")
    recorded = _parsed(event.effects, "its effects are")
    if not isinstance(recorded, list) or not all(isinstance(e, dict) and "op" in e for e in recorded):
        raise ReplayMismatch("its effects are not a JSON list of recorded effects")
    stepped = payload.get(STEPPED_AT)  # a step appended after a later one ran at this time (`history.append`)
    step = StepInput(
        kind=event.kind,
        at=parse_instant(stepped) if stepped else event.business_time,
        seed=f"{instance_id}:{event.instance_version}",
        task_id=event.task_id,
        data=payload.get("data") or {},
        message=str(payload.get("name", "")),
        timers_at=parse_instant(payload["timers_at"]) if payload.get("timers_at") else None,
    )
    return step, ReplayedEffects(recorded)


def _parsed(stored: Any, what: str) -> Any:
    try:
        return json.loads(stored)
    except (TypeError, ValueError) as exc:
        raise ReplayMismatch(f"{what} not JSON ({exc})") from exc


def _no_service(op: str, params: dict[str, Any]) -> Any:
    raise ReplayMismatch(f"replay tried to run service task {op} instead of reading its logged result")


def _no_calendar() -> Any:
    raise ReplayMismatch("replay tried to read the holiday calendar instead of the logged answer")
