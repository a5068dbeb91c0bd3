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

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...journal.rebuild import Rebuilt
from ...kernel import Kernel
from ...models import Event, LedgerHead
from ...process import history

PUBLISH_EVERY = dt.timedelta(days=1)
# How an event's row changes (canonical JSON, keys sorted) spell a notice put on the board.
NOTICE_PUT_UP = '"op":"insert","table":"public_notice"'


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    business_time: str
    published_at: str
    reason: str
    tables: dict[str, str] = field(default_factory=dict)

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
                )
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            found.unreadable.append(f"{path}:{number}: not a published head ({exc})")
    return found


def latest(kernel: Kernel) -> Anchor | None:
    anchors = read(kernel.settings.resolved_anchors_file).anchors
    return anchors[-1] if anchors else None


def head_now(session: Session) -> tuple[Anchor, Rebuilt] | None:
    """The current head, with the tables as the log has them there (one consistent fold)."""
    head = session.get(LedgerHead, history.HEAD_ID)
    if head is None or head.seq == 0:
        return None
    rebuilt = Rebuilt()
    for event in history.iter_events(session):
        if event.seq > head.seq:
            break
        rebuilt.feed(event)
    when = head.business_time.isoformat() if head.business_time else ""
    return Anchor(head.seq, head.hash, when, "", "", rebuilt.digests()), rebuilt


def publish(kernel: Kernel, reason: str) -> Anchor | None:
    """Append the current head to the anchors file; None when it is already the last one there,
    unless that was published a day ago or more (a daily head says the chain still ends there)."""
    with kernel.db.unit_of_work(write=False) as uow:
        current = head_now(uow.session)
    if current is None:
        return None
    fields = asdict(current[0])
    anchor = Anchor(**{**fields, "published_at": kernel.clock.now().isoformat(), "reason": reason})
    path = kernel.settings.resolved_anchors_file
    with _locked(path):
        last = read(path).anchors
        if last and last[-1].seq >= anchor.seq and not _a_day_before(last[-1], kernel.clock.now()):
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
            select(Event.seq).where(Event.seq > last.seq, Event.changes.contains(NOTICE_PUT_UP)).limit(1)
        ).first()
    return publish(kernel, "notice") if noticed is not None else None


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
    """Checks published heads during verify's one walk along the chain (see `verify`)."""

    def __init__(self, anchors: list[Anchor]) -> None:
        self._by_seq: dict[int, list[Anchor]] = {}
        for anchor in anchors:
            self._by_seq.setdefault(anchor.seq, []).append(anchor)
        self.problems: list[str] = []
        self._last_seq = 0

    def visit(self, event: Event, rebuilt: Rebuilt) -> None:
        """After `rebuilt` has taken `event`."""
        self._last_seq = event.seq
        for anchor in self._by_seq.get(event.seq, ()):
            self.problems.extend(_differences(anchor, event.hash, rebuilt))

    def finish(self) -> list[str]:
        beyond = sorted(seq for seq in self._by_seq if seq > self._last_seq)
        self.problems.extend(
            f"published head {seq} (published {self._by_seq[seq][0].published_at}): the chain ends at "
            f"{self._last_seq}, events were removed after it was published"
            for seq in beyond
        )
        return self.problems


def _differences(anchor: Anchor, digest: str, rebuilt: Rebuilt) -> list[str]:
    where = f"published head {anchor.seq} (published {anchor.published_at})"
    if digest == anchor.hash:
        return []
    found = [f"{where}: event {anchor.seq} now has hash {digest[:12]}…, published as {anchor.hash[:12]}…"]
    now = rebuilt.digests()
    changed = sorted(name for name, value in anchor.tables.items() if now.get(name, "") != value)
    if changed:
        tables = ", ".join(changed)
        found.append(f"{where}: the log now gives different rows for {tables} than when it was published")
    return found


def describe(anchor: Anchor | None) -> dict[str, Any]:
    """What the notice board's footer and printed documents show of a head."""
    if anchor is None:
        return {}
    return {"seq": anchor.seq, "hash": anchor.hash, "published_at": anchor.published_at}
