"""The first divergence of a case, made readable: which event, of what kind, on which task, by whom
and when, what it logged, and — where the log allows — how the replayed state differs.

Replay's verdict is one sentence naming the event ("instance 3, event 41 (complete v7): replayed
state … differs from the logged …"). The log keeps only a hash of the state after each event, so a
state can be compared in words only with a state that is stored: the case's current snapshot. That
is enough in the two cases that matter most: the last event (its stored snapshot is what the live
step wrote, if its hash still matches the log) and a snapshot edited after all its events. For an
earlier event the page shows the event's own inputs and says why there is nothing to compare.
Nothing here may stop a report: whatever the stored data holds, a detail that cannot be had is
left out with the reason.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...kernel import Kernel
from ...models import Event, ProcessInstance, User
from ...process import history
from ...process.catalog import LoadedVersion
from ...process.moments import Moment, describe, element_names, step_names
from ...process.serialization import state_hash
from .pinned import PinnedVersions
from .pinned import describe as error_text
from .replay import LoggedEvent, replay_events
from .timeline_fields import labelled_fields

_EVENT = re.compile(r"\bevent (\d+) \(")
_MISSING = object()
LONGEST_VALUE = 400  # characters of a value shown in a difference

# What replay's sentence says, by the words it uses (checked in order).
REASONS = (
    ("stored snapshot is not JSON", "stored_unreadable"),
    ("stored snapshot differs", "stored"),
    ("differs from the logged", "state"),
    ("logged against a state replay does not reach", "verb"),
    ("diagram bundle", "bundle"),
    ("cannot be replayed", "failed"),
    ("replay failed", "failed"),
    (": missing", "missing"),
)


def reason_of(problem: str) -> str:
    return next((reason for words, reason in REASONS if words in problem), "other")


def divergence(
    session: Session, kernel: Kernel, instance_id: int, problem: str, compare: bool
) -> dict[str, Any]:
    """The readable account of `problem`, the case's first divergence; `compare`: replay the case
    once more to put the differing state into words (costly: done for the first few cases only)."""
    found: dict[str, Any] = {
        "reason": reason_of(problem),
        "event": None,
        "event_edited": None,
        "stored_matches_last": None,
        "compared_with": "",
        "differences": [],
        "note": "",
    }
    try:
        _fill(session, kernel, instance_id, problem, compare, found)
    except Exception as exc:  # an edited database may hold anything: say so, never stop the report
        found["note"] = f"details unavailable: {error_text(exc)}"
    return found


def _fill(
    session: Session, kernel: Kernel, instance_id: int, problem: str, compare: bool, found: dict[str, Any]
) -> None:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        return
    events = list(
        session.execute(
            select(Event).where(Event.instance_id == instance_id).order_by(Event.instance_version)
        ).scalars()
    )
    loaded = PinnedVersions(kernel).get(session, instance.process_version_id)
    version = loaded if isinstance(loaded, LoadedVersion) else None
    named = _EVENT.search(problem)
    event = next((e for e in events if named and e.seq == int(named.group(1))), None)
    if event is not None:
        found["event"] = _event(event, version)
        found["event"]["actor_name"] = _name(session, event.actor_user_id)
        found["event_edited"] = not _intact(event)
    if events:
        found["stored_matches_last"] = state_hash(str(instance.state_json or "")) == events[-1].state_hash
    if compare and version is not None and found["reason"] in ("state", "stored"):
        _compare(kernel, version, instance, events, event, found)


def _event(event: Event, version: LoadedVersion | None) -> dict[str, Any]:
    payload = _json(event.payload)
    data = payload.get("data") if isinstance(payload, dict) and "data" in payload else payload
    element = event.spec_id
    names = element_names(version) if version is not None else {}
    if not element and version is not None and event.kind == "start":
        element = step_names(version).get("start", "")
    name, name_en = names.get(element, ("", ""))
    return {
        "seq": event.seq,
        "number": event.instance_version,
        "kind": event.kind,
        "element": element,
        "task": name or (str(payload.get("task", "")) if isinstance(payload, dict) else ""),
        "task_en": name_en,
        "task_id": event.task_id,
        "actor": event.actor,
        "role": event.role,
        "at": event.business_time.isoformat() if event.business_time else None,
        "data": data,
    }


def _name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    return str(
        session.execute(select(User.display_name).where(User.id == user_id)).scalar_one_or_none() or ""
    )


def _intact(event: Event) -> bool:
    try:
        fields = {name: getattr(event, name) for name in history.HASHED_FIELDS}
        return history.event_hash(fields, event.prev_hash) == event.hash
    except (TypeError, ValueError, AttributeError):
        return False


def _compare(
    kernel: Kernel,
    version: LoadedVersion,
    instance: ProcessInstance,
    events: list[Event],
    event: Event | None,
    found: dict[str, Any],
) -> None:
    """Put into words how the replayed state differs from the stored one, where one is stored."""
    stored = str(instance.state_json or "")
    if found["reason"] == "state":
        last = events[-1] if events else None
        if event is None or event is not last or state_hash(stored) != event.state_hash:
            found["compared_with"] = "nothing_stored"
            return
        found["compared_with"] = "stored_by_the_step"
    else:
        found["compared_with"] = "stored_now"
    _problem, replayed = replay_events(kernel, version, instance.id, [_logged(e) for e in events])
    if replayed is None:
        return
    found["differences"] = differences(version, stored, replayed)
    _label(kernel, version, instance.branch_id, found["differences"])


def _label(
    kernel: Kernel, version: LoadedVersion, branch_id: int | None, found: list[dict[str, Any]]
) -> None:
    """Give each differing data key the title its form gives it (zh-CN and English), if one does."""
    keys = {entry["name"]: None for entry in found if entry["what"] == "data"}
    for field in labelled_fields(kernel, version, branch_id, keys, {}):
        if field.label and field.path == field.key:
            for entry in found:
                if entry.get("name") == field.key:
                    entry["label"] = field.label


def _logged(event: Event) -> LoggedEvent:
    return LoggedEvent(
        event.seq,
        event.instance_version,
        event.kind,
        event.task_id,
        event.payload,
        event.effects,
        event.business_time,
        event.bundle_hash,
        event.state_hash,
    )


def differences(version: LoadedVersion, stored: str, replayed: str) -> list[dict[str, Any]]:
    """What differs between two states of a case, in the terms of its diagram: the data, where it
    waits, what was done, how it ended. An empty difference in those terms is itself said."""
    recorded, again = describe(version, stored), describe(version, replayed)
    found: list[dict[str, Any]] = []
    for key in sorted(set(recorded.data) | set(again.data)):
        before, after = recorded.data.get(key, _MISSING), again.data.get(key, _MISSING)
        if before != after:
            found.append({"what": "data", "name": key, "stored": _shown(before), "replayed": _shown(after)})
    names = element_names(version)
    for what, pick in (("waiting", _waiting), ("done", _done)):
        if pick(recorded) != pick(again):
            found.append(
                {
                    "what": what,
                    "stored": [names.get(e, (e, ""))[0] for e in pick(recorded)],
                    "replayed": [names.get(e, (e, ""))[0] for e in pick(again)],
                }
            )
    if (recorded.finished, recorded.outcome) != (again.finished, again.outcome):
        found.append({"what": "outcome", "stored": recorded.outcome, "replayed": again.outcome})
    return found or [{"what": "internal"}]


def _waiting(moment: Moment) -> list[str]:
    return sorted(moment.current_elements)


def _done(moment: Moment) -> list[str]:
    return sorted(set(moment.completed_elements))


def _shown(value: Any) -> Any:
    if value is _MISSING:
        return None
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE] + "…"


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text
