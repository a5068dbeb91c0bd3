"""The hash-chained event log: append, and verify that nobody edited, removed, reordered or
inserted a row.

Every input to every instance is one row of a single global chain: `hash = sha256(prev_hash ||
canonical JSON of the row)`. A one-row `ledger_head` holds the last sequence number and hash and is
locked by each appending transaction, which also serialises appends on PostgreSQL. Instances carry
the hash of their own last event (`head_hash`) and their event count (`version`), so truncating an
instance's tail is caught even if the global tail is rewritten. A chain alone cannot detect a
rewrite of everything after some point: publish the head (`xianfeng verify` prints it) and check it
later with `--anchor`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ..journal.capture import take_changes
from ..models import Event, LedgerHead, ProcessInstance

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def canonical_json(value: Any) -> str:
    """The one JSON spelling of a value: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


NO_CHANGES = "[]"


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """sha256 of the canonical JSON of the event's fields and the hash before it.

    `changes` joins the hashed body only when the event wrote rows: the events logged before the
    journal existed keep the hash they were published with, and an event whose rows were struck out
    afterwards no longer matches its own hash.
    """
    body = dict(fields)
    body["business_time"] = _instant(body["business_time"])
    body["recorded_at"] = _instant(body["recorded_at"])
    body["prev_hash"] = prev_hash
    if body.get("changes", NO_CHANGES) == NO_CHANGES:
        body.pop("changes", None)
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


HASHED_FIELDS = (
    "seq",
    "instance_id",
    "instance_version",
    "kind",
    "task_id",
    "spec_id",
    "actor_user_id",
    "actor",
    "role",
    "payload",
    "effects",
    "business_time",
    "recorded_at",
    "bundle_hash",
    "state_hash",
    "changes",
)


@dataclass(frozen=True)
class NewEvent:
    instance_id: int | None
    instance_version: int | None
    kind: str
    payload: dict[str, Any]
    effects: list[dict[str, Any]]
    business_time: dt.datetime
    recorded_at: dt.datetime
    bundle_hash: str = ""
    state_hash: str = ""
    task_id: str = ""
    spec_id: str = ""
    actor_user_id: int | None = None
    actor: str = ""
    role: str = ""


_LOCK_HEAD = (
    select(LedgerHead.seq, LedgerHead.hash, LedgerHead.business_time)
    .where(LedgerHead.id == HEAD_ID)
    .with_for_update()
)
_INSERT_EVENT = insert(Event)
_MOVE_HEAD = (
    update(LedgerHead)
    .where(LedgerHead.id == HEAD_ID)
    .values(seq=bindparam("seq"), hash=bindparam("hash"), business_time=bindparam("business_time"))
)
STEPPED_AT = "stepped_at"


@dataclass(frozen=True)
class Appended:
    seq: int
    hash: str


def append(session: Session, event: NewEvent) -> Appended:
    """Append one event at the head of the chain (locks the head row until commit), recording
    every chained row the transaction wrote since the last event (`journal.capture`).

    An event is never dated before the one before it. A step computed ahead of its append (while
    another transaction appended) keeps the time it ran at in the payload (`stepped_at`, which
    replay uses) and is dated at the head's time: a few milliseconds at most on a live clock.

    Core statements on the session's connection: this runs on every step, and the ORM's unit of
    work would add a flush and identity bookkeeping for a row nobody reads back.
    """
    changes = take_changes(session)
    connection = session.connection()
    head_seq, head_hash, head_time = connection.execute(_LOCK_HEAD).one()
    dated, payload = event.business_time, event.payload
    if head_time is not None and head_time > dated:
        dated, payload = head_time, {**payload, STEPPED_AT: _instant(event.business_time)}
    fields = {
        "seq": head_seq + 1,
        "instance_id": event.instance_id,
        "instance_version": event.instance_version,
        "kind": event.kind,
        "task_id": event.task_id,
        "spec_id": event.spec_id,
        "actor_user_id": event.actor_user_id,
        "actor": event.actor,
        "role": event.role,
        "payload": canonical_json(payload),
        "effects": canonical_json(event.effects),
        "business_time": dated,
        "recorded_at": max(event.recorded_at, dated),
        "bundle_hash": event.bundle_hash,
        "state_hash": event.state_hash,
        "changes": canonical_json(changes) if changes else NO_CHANGES,
    }
    digest = event_hash(fields, head_hash)
    connection.execute(_INSERT_EVENT, {**fields, "prev_hash": head_hash, "hash": digest})
    connection.execute(_MOVE_HEAD, {"seq": head_seq + 1, "hash": digest, "business_time": dated})
    return Appended(head_seq + 1, digest)


def step_time(event: Event) -> dt.datetime:
    """The business time the event's step ran at (see `append`)."""
    stepped = json.loads(event.payload).get(STEPPED_AT) if STEPPED_AT in event.payload else None
    return dt.datetime.fromisoformat(stepped) if stepped else event.business_time


def ensure_head(session: Session) -> None:
    if session.get(LedgerHead, HEAD_ID) is None:
        session.add(LedgerHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH))


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    instance_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"event {self.seq}" if self.seq is not None else "ledger"
        if self.instance_id is not None:
            where += f" (instance {self.instance_id})"
        return f"{where}: {self.message}"


def iter_events(session: Session, batch: int = 2000) -> Iterator[Event]:
    last = 0
    while True:
        rows = (
            session.execute(select(Event).where(Event.seq > last).order_by(Event.seq).limit(batch))
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


@dataclass
class _Walk:
    """Where a walk along the chain is: what the next row must link to, follow and succeed."""

    prev_hash: str = GENESIS_HASH
    expected_seq: int = 1
    prev_time: dt.datetime | None = None
    per_instance: dict[int, tuple[int, str]] = field(default_factory=dict)


def verify_chain(
    session: Session, progress: Any = None, visit: Callable[[Event], None] | None = None
) -> list[ChainProblem]:
    """Recompute every hash and link; check business time only moves forward; compare the ledger
    head and each instance's head. `visit` sees each event in chain order (one pass for verify)."""
    problems: list[ChainProblem] = []
    walk = _Walk()
    for row in iter_events(session):
        problems.extend(_check_row(row, walk))
        if visit is not None:
            visit(row)
        walk.prev_hash, walk.expected_seq = row.hash, row.seq + 1
        walk.prev_time = row.business_time or walk.prev_time
        if row.instance_id is not None:
            walk.per_instance[row.instance_id] = (row.instance_version or 0, row.hash)
        if progress is not None:
            progress(1)
    problems.extend(_check_ledger_head(session, walk))
    problems.extend(_check_instance_heads(session, walk.per_instance))
    return problems


def _check_ledger_head(session: Session, walk: _Walk) -> list[ChainProblem]:
    head = session.get(LedgerHead, HEAD_ID)
    last_seq, last_hash = walk.expected_seq - 1, walk.prev_hash
    same_time = head is None or head.business_time in (None, walk.prev_time) or walk.prev_time is None
    if head is not None and head.seq == last_seq and head.hash == last_hash and same_time:
        return []
    found = f"seq {head.seq}, hash {head.hash[:12]}…" if head else "missing"
    return [
        ChainProblem(
            None,
            None,
            f"ledger head is {found}, but the last event is seq "
            f"{last_seq} with hash {last_hash[:12]}… (rows removed at the end?)",
        )
    ]


def _check_row(row: Event, walk: _Walk) -> list[ChainProblem]:
    problems = []

    def problem(message: str) -> None:
        problems.append(ChainProblem(row.seq, row.instance_id, message))

    if row.seq != walk.expected_seq:
        problem(f"sequence jumps from {walk.expected_seq - 1} to {row.seq} (rows removed or renumbered)")
    if row.prev_hash != walk.prev_hash:
        problem("does not link to the event before it (rows removed, inserted or reordered)")
    try:
        recomputed = event_hash({name: getattr(row, name) for name in HASHED_FIELDS}, row.prev_hash)
    except (TypeError, ValueError, AttributeError) as exc:
        recomputed = f"unreadable ({type(exc).__name__}: {exc})"
    if recomputed != row.hash:
        problem(
            f"content does not match its hash (row edited): "
            f"stored {(row.hash or '')[:12]}…, recomputed {recomputed[:12]}…"
        )
    if row.business_time is not None and walk.prev_time is not None and row.business_time < walk.prev_time:
        problem(
            f"dated {_instant(row.business_time)}, before the event before it "
            f"({_instant(walk.prev_time)}): business time never runs backwards"
        )
    if row.instance_id is not None:
        last_version = walk.per_instance.get(row.instance_id, (0, ""))[0]
        if row.instance_version != last_version + 1:
            problem(
                f"instance version {row.instance_version} follows "
                f"{last_version} (events of the instance missing or reordered)"
            )
    return problems


def _check_instance_heads(session: Session, per_instance: dict[int, tuple[int, str]]) -> list[ChainProblem]:
    problems = []
    for instance in session.execute(select(ProcessInstance)).scalars():
        version, digest = per_instance.get(instance.id, (0, ""))
        if instance.version != version or instance.head_hash != digest:
            problems.append(
                ChainProblem(
                    None,
                    instance.id,
                    f"instance records {instance.version} events ending in "
                    f"{instance.head_hash[:12]}…, the log has {version} ending in "
                    f"{digest[:12]}…",
                )
            )
    return problems
