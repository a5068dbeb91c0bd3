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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ..models import Event, LedgerHead, ProcessInstance

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def canonical_json(value: Any) -> str:
    """The one JSON spelling of a value: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    body = dict(fields)
    body["business_time"] = _instant(body["business_time"])
    body["recorded_at"] = _instant(body["recorded_at"])
    body["prev_hash"] = prev_hash
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
)


@dataclass(frozen=True)
class NewEvent:
    instance_id: int
    instance_version: int
    kind: str
    payload: dict[str, Any]
    effects: list[dict[str, Any]]
    business_time: dt.datetime
    recorded_at: dt.datetime
    bundle_hash: str
    state_hash: str
    task_id: str = ""
    spec_id: str = ""
    actor_user_id: int | None = None
    actor: str = ""
    role: str = ""


_LOCK_HEAD = select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.id == HEAD_ID).with_for_update()
_INSERT_EVENT = insert(Event)
_MOVE_HEAD = (
    update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(seq=bindparam("seq"), hash=bindparam("hash"))
)


@dataclass(frozen=True)
class Appended:
    seq: int
    hash: str


def append(session: Session, event: NewEvent) -> Appended:
    """Append one event at the head of the chain (locks the head row until commit).

    Core statements on the session's connection: this runs on every step, and the ORM's unit of
    work would add a flush and identity bookkeeping for a row nobody reads back.
    """
    connection = session.connection()
    head_seq, head_hash = connection.execute(_LOCK_HEAD).one()
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
        "payload": canonical_json(event.payload),
        "effects": canonical_json(event.effects),
        "business_time": event.business_time,
        "recorded_at": event.recorded_at,
        "bundle_hash": event.bundle_hash,
        "state_hash": event.state_hash,
    }
    digest = event_hash(fields, head_hash)
    connection.execute(_INSERT_EVENT, {**fields, "prev_hash": head_hash, "hash": digest})
    connection.execute(_MOVE_HEAD, {"seq": head_seq + 1, "hash": digest})
    return Appended(head_seq + 1, digest)


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


def verify_chain(session: Session, progress: Any = None) -> list[ChainProblem]:
    """Recompute every hash and link; compare the ledger head and each instance's head."""
    problems: list[ChainProblem] = []
    prev_hash, expected_seq = GENESIS_HASH, 1
    per_instance: dict[int, tuple[int, str]] = {}
    for row in iter_events(session):
        problems.extend(_check_row(row, prev_hash, expected_seq, per_instance))
        prev_hash, expected_seq = row.hash, row.seq + 1
        per_instance[row.instance_id] = (row.instance_version, row.hash)
        if progress is not None:
            progress(1)
    head = session.get(LedgerHead, HEAD_ID)
    if head is None or head.seq != expected_seq - 1 or head.hash != prev_hash:
        found = f"seq {head.seq}, hash {head.hash[:12]}…" if head else "missing"
        problems.append(
            ChainProblem(
                None,
                None,
                f"ledger head is {found}, but the last event is seq "
                f"{expected_seq - 1} with hash {prev_hash[:12]}… (rows removed at the end?)",
            )
        )
    problems.extend(_check_instance_heads(session, per_instance))
    return problems


def _check_row(
    row: Event, prev_hash: str, expected_seq: int, per_instance: dict[int, tuple[int, str]]
) -> list[ChainProblem]:
    problems = []
    if row.seq != expected_seq:
        problems.append(
            ChainProblem(
                row.seq,
                row.instance_id,
                f"sequence jumps from {expected_seq - 1} to {row.seq} (rows removed or renumbered)",
            )
        )
    if row.prev_hash != prev_hash:
        problems.append(
            ChainProblem(
                row.seq,
                row.instance_id,
                "does not link to the event before it (rows removed, inserted or reordered)",
            )
        )
    recomputed = event_hash({name: getattr(row, name) for name in HASHED_FIELDS}, row.prev_hash)
    if recomputed != row.hash:
        problems.append(
            ChainProblem(
                row.seq,
                row.instance_id,
                f"content does not match its hash (row edited): "
                f"stored {row.hash[:12]}…, recomputed {recomputed[:12]}…",
            )
        )
    last_version = per_instance.get(row.instance_id, (0, ""))[0]
    if row.instance_version != last_version + 1:
        problems.append(
            ChainProblem(
                row.seq,
                row.instance_id,
                f"instance version {row.instance_version} follows "
                f"{last_version} (events of the instance missing or reordered)",
            )
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
