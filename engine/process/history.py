"""The hash-chained event log: append, and verify that nobody edited, removed, reordered or
inserted a row.

Every input to every instance, and every change made outside one, is a row of the chain:
`hash = sha256(prev_hash || canonical JSON of the row)`. The chain has `SHARDS` strands: an event
links to the event before it in its shard (a case's events all fall in one shard; changes outside
any case in shard 0), and an appending transaction locks only its shard's `chain_head` row, so
cases in different shards append side by side on PostgreSQL. Within a shard, events are numbered
without gaps (`shard_seq`) and dated never before the one before them; `seq` orders all events.
Instances carry the hash of their own last event (`head_hash`) and their event count (`version`),
so truncating an instance's tail is caught even where its shard's tail is rewritten. The chain's
head is the root over every shard's head (`root_of`): publishing it (anchors) catches a rewrite of
the whole database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, String, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from ..journal.capture import take_changes
from ..journal.deferral import TABLES_OPTION
from ..models import ChainHead, Event, ProcessInstance
from ..models.base import UtcDateTime

GENESIS_HASH = "0" * 64
SHARDS = 16


def shard_of(instance_id: int | None) -> int:
    """The shard an event goes to: its case's, or shard 0 for what happens outside any case."""
    return instance_id % SHARDS if instance_id else 0


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
    if body.get("shard_seq") is None:  # an event from before the chain had shards
        body.pop("shard", None)
        body.pop("shard_seq", None)
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
    "shard",
    "shard_seq",
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


# Lock the shard's head and take the event's place in the order of all events, in one statement.
_LOCK_COLUMNS: dict[str, Any] = {
    "seq": Integer(),
    "hash": String(),
    "business_time": UtcDateTime(),
    "next_seq": Integer(),
}
_LOCK_SHARD = {
    dialect: statement.execution_options(**{TABLES_OPTION: ("chain_head", "event")})
    for dialect, statement in {
        "postgresql": text(
            "SELECT seq, hash, business_time, nextval('event_seq') AS next_seq "
            "FROM chain_head WHERE shard = :shard FOR UPDATE"
        ).columns(**_LOCK_COLUMNS),
        "sqlite": text(  # one writer at a time: the next number is the highest plus one
            "SELECT seq, hash, business_time, (SELECT coalesce(max(seq), 0) + 1 FROM event) AS next_seq "
            "FROM chain_head WHERE shard = :shard"
        ).columns(**_LOCK_COLUMNS),
    }.items()
}
# PostgreSQL: more places in the order of all events, for a shard whose head this transaction holds.
_DRAW_SEQS = (
    text("SELECT nextval('event_seq') FROM generate_series(1, :count)")
    .columns(next_seq=Integer())
    .execution_options(**{TABLES_OPTION: ()})  # it reads no table: writes waiting need not run first
)
_INSERT_EVENT = insert(Event)
_MOVE_HEAD = (
    update(ChainHead)
    .where(ChainHead.shard == bindparam("b_shard"))
    .values(seq=bindparam("seq"), hash=bindparam("hash"), business_time=bindparam("business_time"))
)
# PostgreSQL: the event and its shard's new head in one statement (one round trip fewer on every
# step). The head takes the event's own shard number, hash and time; a data-modifying WITH runs
# to completion whether or not the statement reads it.
_EVENT_COLUMNS = [column.key for column in Event.__table__.columns]
_HEAD_MOVED = (
    update(ChainHead)
    .where(ChainHead.shard == bindparam("shard"))
    .values(
        # `shard` set to itself: a parameter named as a column not in the SET would be added to it
        shard=bindparam("shard"),
        seq=bindparam("shard_seq"),
        hash=bindparam("hash"),
        business_time=bindparam("business_time"),
    )
    .cte("moved_head")
)
_APPEND_AND_MOVE_HEAD = (
    insert(Event).values({key: bindparam(key) for key in _EVENT_COLUMNS}).add_cte(_HEAD_MOVED)
)


@dataclass(frozen=True)
class Along:
    """A row update that goes with the event in the same statement on PostgreSQL (the case row a
    step leaves, with the event's hash as its head): `update` returns the rows it updated, one
    when it holds; `key` names it among the statements built once."""

    key: str
    update: Any  # an UPDATE … RETURNING, whose parameters the event's do not share but `hash`
    params: dict[str, Any]


class AlongMissed(Exception):
    """The update that went with the event matched no row: the caller's transaction must roll back."""


_ALONG: dict[str, Any] = {}


def _append_along(along: Along) -> Any:
    statement = _ALONG.get(along.key)
    if statement is None:
        updated = along.update.cte("moved_row")
        statement = _APPEND_AND_MOVE_HEAD.add_cte(updated).returning(
            select(func.count()).select_from(updated).scalar_subquery()
        )
        _ALONG[along.key] = statement
    return statement


STEPPED_AT = "stepped_at"


@dataclass(frozen=True)
class Appended:
    seq: int
    hash: str


def append(session: Session, event: NewEvent, along: Along | None = None) -> Appended:
    """Append one event at the head of its shard (locks the shard's head row until commit),
    recording every chained row the transaction wrote since the last event (`journal.capture`).

    An event is never dated before the one before it in its shard. A step computed ahead of its
    append (while another transaction appended) keeps the time it ran at in the payload
    (`stepped_at`, which replay uses) and is dated at the head's time: milliseconds on a live clock.

    Core statements on the session's connection: this runs on every step, and the ORM's unit of
    work would add a flush and identity bookkeeping for a row nobody reads back. On PostgreSQL the
    event and the shard's new head are one statement, with `along` (the case row) if given: each
    round trip to the server costs both sides; on SQLite `along` is the caller's to write.
    """
    changes = take_changes(session)
    connection = session.connection()
    shard = shard_of(event.instance_id)
    kept: _Kept | None = session.info.get(_KEPT)
    shard_seq, head_hash, head_time, seq = (
        _lock_shard(connection, shard) if kept is None else kept.head(connection, shard)
    )
    dated, payload = event.business_time, event.payload
    if head_time is not None and head_time > dated:
        dated, payload = head_time, {**payload, STEPPED_AT: _instant(event.business_time)}
    fields = _fields(event, payload, changes, dated) | {
        "seq": seq,
        "shard": shard,
        "shard_seq": shard_seq + 1,
    }
    digest = event_hash(fields, head_hash)
    row = {**fields, "prev_hash": head_hash, "hash": digest}
    if connection.dialect.name == "postgresql":
        if along is None:
            connection.execute(_APPEND_AND_MOVE_HEAD, row)
        elif connection.execute(_append_along(along), {**along.params, **row}).scalar_one() != 1:
            raise AlongMissed(along.key)
    else:
        connection.execute(_INSERT_EVENT, row)
        connection.execute(
            _MOVE_HEAD, {"b_shard": shard, "seq": shard_seq + 1, "hash": digest, "business_time": dated}
        )
    if kept is not None:
        kept.moved(shard, (shard_seq + 1, digest, dated, seq))
    return Appended(seq, digest)


def _lock_shard(connection: Any, shard: int) -> tuple[int, str, dt.datetime | None, int]:
    """Lock the shard's head: its number, hash and time, and the next event's place among all."""
    locked = connection.execute(_LOCK_SHARD[connection.dialect.name], {"shard": shard}).one_or_none()
    if locked is None:
        raise RuntimeError(f"the chain has no head for shard {shard}: run `xianfeng init`")
    return tuple(locked)


_KEPT = "xianfeng.heads_kept"


@dataclass
class _Kept:
    """The heads of the shards a block appends to, as its own appends left them (`heads_kept`)."""

    wanted: dict[int, int]  # events the block means to append, per shard
    heads: dict[int, tuple[int, str, dt.datetime | None, int]] = field(default_factory=dict)
    drawn: dict[int, list[int]] = field(default_factory=dict)  # PostgreSQL: places drawn, unused

    def head(self, connection: Any, shard: int) -> tuple[int, str, dt.datetime | None, int]:
        """The shard's head and the next event's place: locked and read for the block's first event
        in the shard, then as the block's last append left it."""
        held = self.heads.get(shard)
        if held is None:
            locked = _lock_shard(connection, shard)
            more = self.wanted.get(shard, 1) - 1
            if connection.dialect.name == "postgresql" and more > 0:  # drawn once the head is held
                self.drawn[shard] = sorted(connection.execute(_DRAW_SEQS, {"count": more}).scalars())
            return locked
        if connection.dialect.name != "postgresql":  # one writer: the block's last event had the highest
            return (*held[:3], max(last for *_h, last in self.heads.values()) + 1)
        places = self.drawn.get(shard)
        if not places:  # more events than the block meant: one more place
            return _lock_shard(connection, shard)
        return (*held[:3], places.pop(0))

    def moved(self, shard: int, head: tuple[int, str, dt.datetime | None, int]) -> None:
        self.heads[shard] = head


@contextmanager
def heads_kept(session: Session, wanted: dict[int, int]) -> Iterator[None]:
    """Within the block, each shard's head is locked and read once, for its first event: the
    block's later events follow the head its own appends left, which no other transaction can
    move while this one holds it (a tick batch's 40 events, one statement each, not two). On
    PostgreSQL the places of the shard's `wanted` events in the order of all events are drawn
    when its head is taken, so that they follow every event appended before in the shard.

    The block must end with the savepoint it writes in: a block whose writes are rolled back
    leaves heads that are not the database's."""
    session.info[_KEPT] = _Kept(dict(wanted))
    try:
        yield
    finally:
        session.info.pop(_KEPT, None)


def _fields(
    event: NewEvent, payload: dict[str, Any], changes: list[Any], dated: dt.datetime
) -> dict[str, Any]:
    return {
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


def step_time(event: Event) -> dt.datetime:
    """The business time the event's step ran at (see `append`)."""
    stepped = json.loads(event.payload).get(STEPPED_AT) if STEPPED_AT in event.payload else None
    return dt.datetime.fromisoformat(stepped) if stepped else event.business_time


def ensure_head(session: Session) -> None:
    """Give every shard a head row (a new shard starts at the genesis hash)."""
    present = set(session.execute(select(ChainHead.shard)).scalars())
    for shard in range(SHARDS):
        if shard not in present:
            session.add(ChainHead(shard=shard, seq=0, hash=GENESIS_HASH))


def heads(session: Session) -> list[tuple[int, int, str]]:
    """(shard, number of its last event, hash) of every shard, in shard order."""
    rows = session.execute(select(ChainHead.shard, ChainHead.seq, ChainHead.hash).order_by(ChainHead.shard))
    return [(shard, seq, digest) for shard, seq, digest in rows]


def root_of(shard_heads: list[tuple[int, int, str]]) -> str:
    """The chain's head: one hash over every shard's head, what is published and printed."""
    return hashlib.sha256(canonical_json([list(h) for h in sorted(shard_heads)]).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    instance_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"event {self.seq}" if self.seq is not None else "chain"
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
class _Strand:
    """Where the walk along one shard is: what its next event must link to, follow and succeed."""

    prev_hash: str = GENESIS_HASH
    last: int = 0  # the shard's number of its last event (0 before any, and for events from before shards)
    prev_time: dt.datetime | None = None
    legacy_next: int = 1  # shard 0: the seq the next event from before shards must have
    sharded: bool = False  # an event with a shard number has been met


@dataclass
class _Walk:
    strands: dict[int, _Strand] = field(default_factory=dict)
    per_instance: dict[int, tuple[int, str]] = field(default_factory=dict)

    def strand(self, shard: int) -> _Strand:
        found = self.strands.get(shard)
        if found is None:
            found = self.strands[shard] = _Strand()
        return found


def verify_chain(
    session: Session, progress: Any = None, visit: Callable[[Event], None] | None = None
) -> list[ChainProblem]:
    """Recompute every hash and link of every shard; check business time only moves forward in
    each; compare each shard's head and each instance's head. `visit` sees each event in `seq`
    order (one pass for verify)."""
    problems: list[ChainProblem] = []
    walk = _Walk()
    for row in iter_events(session):
        strand = walk.strand(row.shard or 0)
        problems.extend(_check_row(row, strand))
        if visit is not None:
            visit(row)
        _advance(strand, row)
        if row.instance_id is not None:
            problems.extend(_check_version(row, walk))
            walk.per_instance[row.instance_id] = (row.instance_version or 0, row.hash)
        if progress is not None:
            progress(1)
    problems.extend(_check_shard_heads(session, walk))
    problems.extend(_check_instance_heads(session, walk.per_instance))
    return problems


def _advance(strand: _Strand, row: Event) -> None:
    strand.prev_hash = row.hash
    strand.prev_time = row.business_time or strand.prev_time
    if row.shard_seq is None:
        strand.legacy_next = row.seq + 1
    else:
        strand.last, strand.sharded = row.shard_seq, True


def _check_shard_heads(session: Session, walk: _Walk) -> list[ChainProblem]:
    rows = {row.shard: row for row in session.execute(select(ChainHead)).scalars()}
    problems = []
    for shard in sorted(set(rows) | set(walk.strands)):
        strand, head = walk.strand(shard), rows.get(shard)
        expected = (strand.last, strand.prev_hash)
        if head is None:
            problems.append(ChainProblem(None, None, f"shard {shard} has no head row (removed?)"))
        elif (head.seq, head.hash) != expected or (
            head.business_time is not None
            and strand.prev_time is not None
            and head.business_time != strand.prev_time
        ):
            problems.append(
                ChainProblem(
                    None,
                    None,
                    f"the head of shard {shard} is number {head.seq}, hash {head.hash[:12]}…, but the "
                    f"shard's last event is number {expected[0]} with hash {expected[1][:12]}… "
                    "(rows removed at the end?)",
                )
            )
    return problems


def _check_row(row: Event, strand: _Strand) -> list[ChainProblem]:
    problems = []

    def problem(message: str) -> None:
        problems.append(ChainProblem(row.seq, row.instance_id, message))

    problems.extend(_check_place(row, strand))
    if row.prev_hash != strand.prev_hash:
        problem("does not link to the event before it in its shard (rows removed, inserted or reordered)")
    try:
        recomputed = event_hash({name: getattr(row, name) for name in HASHED_FIELDS}, row.prev_hash)
    except (TypeError, ValueError, AttributeError) as exc:
        recomputed = f"unreadable ({type(exc).__name__}: {exc})"
    if recomputed != row.hash:
        problem(
            f"content does not match its hash (row edited): "
            f"stored {(row.hash or '')[:12]}…, recomputed {recomputed[:12]}…"
        )
    if (
        row.business_time is not None
        and strand.prev_time is not None
        and row.business_time < strand.prev_time
    ):
        problem(
            f"dated {_instant(row.business_time)}, before the event before it "
            f"({_instant(strand.prev_time)}): business time never runs backwards"
        )
    return problems


def _check_place(row: Event, strand: _Strand) -> list[ChainProblem]:
    """The event's number in its shard follows the last one; it is in its case's shard."""
    here = (row.seq, row.instance_id)
    if row.shard_seq is None:
        if (row.shard or 0) != 0 or strand.sharded:
            return [ChainProblem(*here, "an event without a shard number among sharded events (inserted?)")]
        if row.seq != strand.legacy_next:
            return [
                ChainProblem(
                    *here,
                    f"sequence jumps from {strand.legacy_next - 1} to {row.seq} (rows removed or renumbered)",
                )
            ]
        return []
    found = []
    if row.shard_seq != strand.last + 1:
        found.append(
            ChainProblem(
                *here,
                f"shard {row.shard}: numbering jumps from {strand.last} to {row.shard_seq} "
                "(rows removed or renumbered)",
            )
        )
    if row.shard != shard_of(row.instance_id):
        found.append(
            ChainProblem(*here, f"is in shard {row.shard}, not its case's shard {shard_of(row.instance_id)}")
        )
    return found


def _check_version(row: Event, walk: _Walk) -> list[ChainProblem]:
    assert row.instance_id is not None
    last_version = walk.per_instance.get(row.instance_id, (0, ""))[0]
    if row.instance_version != last_version + 1:
        return [
            ChainProblem(
                row.seq,
                row.instance_id,
                f"instance version {row.instance_version} follows "
                f"{last_version} (events of the instance missing or reordered)",
            )
        ]
    return []


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
