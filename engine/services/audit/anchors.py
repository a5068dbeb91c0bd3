"""Published heads: the chain's head leaves the database, so a rewrite of the whole database, every
hash recomputed, is still caught.

The server appends the head to an append-only file (one JSON line per head: sequence number, hash,
business time, when and why it was published, and a digest of each chained table as the log has it
at that head) at least daily and whenever a public notice goes up; the notice board shows the
latest. `xianfeng verify --anchors FILE` walks the chain once and, at each recorded head, checks
the event's hash and each table's digest: a forged chain no longer reaches a published hash, and
the table digests say which register the forgery changed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from ...journal.rebuild import Rebuilt
from ...kernel import Kernel
from ...models import Event
from ...process import history

PUBLISH_EVERY = dt.timedelta(days=1)
# How an event's row changes (canonical JSON, keys sorted) spell a notice put on the board.
NOTICE_PUT_UP = '"op":"insert","table":"public_notice"'


@dataclass(frozen=True)
class Anchor:
    """A published head: `hash` is the chain's root over `heads` (each shard's number of its last
    event and that event's hash; empty in heads published before the chain had shards, whose `hash`
    is then event `seq`'s own), `seq` the last event in the order of all events."""

    seq: int
    hash: str
    business_time: str
    published_at: str
    reason: str
    tables: dict[str, str] = field(default_factory=dict)
    heads: dict[str, list[Any]] = field(default_factory=dict)

    def shard_heads(self) -> list[tuple[int, int, str]]:
        return [(int(shard), int(seq), str(digest)) for shard, (seq, digest) in sorted(self.heads.items())]

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)


@dataclass
class AnchorFile:
    """What a file of published heads holds: the heads it could read and the lines it could not."""

    anchors: list[Anchor]
    unreadable: list[str]


def read(path: Path) -> AnchorFile:
    found = AnchorFile([], [])
    if not path.exists():
        return found
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
            found.anchors.append(
                Anchor(
                    int(value["seq"]),
                    str(value["hash"]),
                    str(value.get("business_time", "")),
                    str(value.get("published_at", "")),
                    str(value.get("reason", "")),
                    {str(k): str(v) for k, v in (value.get("tables") or {}).items()},
                    {str(k): [int(v[0]), str(v[1])] for k, v in (value.get("heads") or {}).items()},
                )
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            found.unreadable.append(f"{path}:{number}: not a published head ({exc})")
    return found


def latest(kernel: Kernel) -> Anchor | None:
    anchors = read(kernel.settings.resolved_anchors_file).anchors
    return anchors[-1] if anchors else None


def head_now(session: Session) -> tuple[Anchor, Rebuilt] | None:
    """The chain's head now, with the tables as the log has them there: one consistent read of
    every shard's head, and the fold of exactly the events up to them (`session` reads one
    snapshot: a unit of work opened with `snapshot=True`)."""
    shard_heads = history.heads(session)
    if not session.execute(select(Event.seq).limit(1)).first():
        return None
    cut = {shard: seq for shard, seq, _digest in shard_heads}
    rebuilt, last_seq, last_time = fold_to(session, cut)
    heads = {str(shard): [seq, digest] for shard, seq, digest in shard_heads}
    when = last_time.isoformat() if last_time else ""
    anchor = Anchor(last_seq, history.root_of(shard_heads), when, "", "", rebuilt.digests(), heads)
    return anchor, rebuilt


def fold_to(session: Session, cut: dict[int, int]) -> tuple[Rebuilt, int, dt.datetime | None]:
    """The chained tables as the events up to each shard's number in `cut` leave them (events from
    before shards are all in): the fold, the last event's `seq` and business time."""
    rebuilt, last_seq, last_time = Rebuilt(), 0, None
    for event in history.iter_events(session):
        if event.shard_seq is not None and event.shard_seq > cut.get(event.shard, 0):
            continue
        rebuilt.feed(event)
        last_seq = event.seq
        last_time = max(filter(None, (last_time, event.business_time)), default=None)
    return rebuilt, last_seq, last_time


def publish(kernel: Kernel, reason: str) -> Anchor | None:
    """Append the current head to the anchors file; None when it is already the last one there,
    unless that was published a day ago or more (a daily head says the chain still ends there)."""
    with kernel.db.unit_of_work(write=False, snapshot=True) as uow:
        current = head_now(uow.session)
    if current is None:
        return None
    fields = asdict(current[0])
    anchor = Anchor(**{**fields, "published_at": kernel.clock.now().isoformat(), "reason": reason})
    path = kernel.settings.resolved_anchors_file
    with _locked(path):
        last = read(path).anchors
        if last and last[-1].hash == anchor.hash and not _a_day_before(last[-1], kernel.clock.now()):
            return None
        with path.open("a", encoding="utf-8") as out:
            out.write(anchor.line() + "\n")
            out.flush()
            os.fsync(out.fileno())
    return anchor


def _a_day_before(anchor: Anchor, now: dt.datetime) -> bool:
    return now - dt.datetime.fromisoformat(anchor.published_at) >= PUBLISH_EVERY


def publish_due(kernel: Kernel, now: dt.datetime) -> Anchor | None:
    """Publish when a day has passed since the last published head, or a public notice went up
    since: the ticker calls this every round."""
    last = latest(kernel)
    if last is None:
        return publish(kernel, "first")
    if _a_day_before(last, now):
        return publish(kernel, "daily")
    with kernel.db.unit_of_work(write=False) as uow:
        noticed = uow.session.execute(
            select(Event.seq).where(events_after(last), Event.changes.contains(NOTICE_PUT_UP)).limit(1)
        ).first()
    return publish(kernel, "notice") if noticed is not None else None


def events_after(anchor: Anchor) -> ColumnElement[bool]:
    """The events a published head does not hold: past each shard's number in it, not past its
    `seq` (on PostgreSQL a step may commit after one with a higher `seq`, and a notice it put up
    would wait a day for its head); by `seq` for a head from before the chain had shards."""
    if not anchor.heads:
        return Event.seq > anchor.seq
    return or_(
        *(
            and_(Event.shard == int(shard), Event.shard_seq > int(number))
            for shard, (number, _digest) in anchor.heads.items()
        )
    )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Several workers tick: one of them appends at a time, and only a newer head."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.with_name(path.name + ".lock")).open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


class AnchorCheck:
    """Checks published heads during verify's one walk along the chain (see `verify`): each shard
    head an anchor names must still be the event it was, and the root must follow from them. Where
    a head no longer matches, the tables are folded to that anchor again to name the registers the
    rewrite changed."""

    def __init__(self, anchors: list[Anchor]) -> None:
        self.anchors = anchors
        self._wanted = {(int(shard), int(head[0])) for a in anchors for shard, head in a.heads.items()}
        self._legacy_wanted = {a.seq for a in anchors if not a.heads}
        self._found: dict[tuple[int, int], str] = {}
        self._legacy: dict[int, str] = {}  # seq -> hash, for heads published before shards
        self._last_legacy = history.GENESIS_HASH
        self._last_seq = 0

    def visit(self, event: Event, rebuilt: Rebuilt) -> None:
        del rebuilt  # the fold is made again, to the anchor, only where a head does not match
        self._last_seq = event.seq
        if event.seq in self._legacy_wanted:
            self._legacy[event.seq] = event.hash
        if event.shard_seq is None:
            self._last_legacy = event.hash
        elif (event.shard, event.shard_seq) in self._wanted:
            self._found[(event.shard, event.shard_seq)] = event.hash

    def finish(self, session: Session) -> list[str]:
        problems: list[str] = []
        for anchor in self.anchors:
            found = self._legacy_problems(anchor) if not anchor.heads else self._sharded_problems(anchor)
            if found and anchor.heads:
                found.extend(_changed_tables(session, anchor))
            problems.extend(found)
        return problems

    def _expected(self, shard: int, seq: int) -> str | None:
        if seq == 0:  # a shard with no event of its own yet: genesis, or where the old chain ended
            return self._last_legacy if shard == 0 else history.GENESIS_HASH
        return self._found.get((shard, seq))

    def _sharded_problems(self, anchor: Anchor) -> list[str]:
        where = f"published head {anchor.seq} (published {anchor.published_at})"
        if history.root_of(anchor.shard_heads()) != anchor.hash:
            return [f"{where}: its root does not follow from its shard heads (the line was altered)"]
        problems = []
        for shard, seq, digest in anchor.shard_heads():
            now = self._expected(shard, seq)
            if now is None:
                problems.append(
                    f"{where}: shard {shard}'s event {seq} is gone (events removed after publishing)"
                )
            elif now != digest:
                problems.append(
                    f"{where}: shard {shard}'s event {seq} now has hash {now[:12]}…, "
                    f"published as {digest[:12]}…"
                )
        return problems

    def _legacy_problems(self, anchor: Anchor) -> list[str]:
        where = f"published head {anchor.seq} (published {anchor.published_at})"
        now = self._legacy.get(anchor.seq)
        if now is None:
            return [
                f"{where}: the chain ends at {self._last_seq}, events were removed after it was published"
            ]
        if now != anchor.hash:
            return [f"{where}: event {anchor.seq} now has hash {now[:12]}…, published as {anchor.hash[:12]}…"]
        return []


def _changed_tables(session: Session, anchor: Anchor) -> list[str]:
    cut = {shard: seq for shard, seq, _digest in anchor.shard_heads()}
    now = fold_to(session, cut)[0].digests()
    changed = sorted(name for name, value in anchor.tables.items() if now.get(name, "") != value)
    if not changed:
        return []
    where = f"published head {anchor.seq} (published {anchor.published_at})"
    return [f"{where}: the log now gives different rows for {', '.join(changed)} than when it was published"]


def describe(anchor: Anchor | None) -> dict[str, Any]:
    """What the notice board's footer and printed documents show of a head."""
    if anchor is None:
        return {}
    return {"seq": anchor.seq, "hash": anchor.hash, "published_at": anchor.published_at}
