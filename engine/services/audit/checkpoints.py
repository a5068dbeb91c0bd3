"""Replay checkpoints: what an earlier `verify` proved, so that the next one replays only what
came after it.

Replaying a case is deterministic: the same events on the same pinned diagrams reach the same
states. Once a verify has replayed a case cleanly up to an event, replaying that part again proves
nothing new unless one of those events changed, and the chain itself shows whether one did. So
verify keeps, per case, the event it reached, the snapshot there and a digest of the hashes of the
case's events up to it. The next verify trusts the checkpoint only when the digest is what the
chain holds now, the snapshot's hash is the state hash that event logged, and the seal holds;
it then restores that snapshot and replays the events after it.

The seal is an HMAC under a key kept outside the database (`XIANFENG_REPLAY_KEY`, or a key file
made once in the data folder): someone who can write the database cannot forge a checkpoint to
hide a history rewritten from its first event. A checkpoint that fails any check is ignored and
its case replayed from the start (`verify --full` ignores them all). The table is a cache, not a
record people rely on: deleting it costs one slower verify.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ...config import Settings
from ...kernel import Kernel
from ...models import ReplayCheckpoint
from ...process.serialization import state_hash

log = logging.getLogger("xianfeng.verify")
KEY_FILE = "replay_key"
_SAVE_BATCH = 200  # rows per statement: snapshots are tens of KB each


class ChainedEvent(Protocol):
    """The columns of a logged event a checkpoint is checked against (`replay.LoggedEvent`)."""

    @property
    def seq(self) -> int: ...
    @property
    def instance_version(self) -> int | None: ...
    @property
    def bundle_hash(self) -> str: ...
    @property
    def state_hash(self) -> str: ...
    @property
    def chain_hash(self) -> str: ...


@dataclass(frozen=True)
class Checkpoint:
    """Where a clean replay of one case ended."""

    instance_id: int
    instance_version: int
    seq: int
    bundle_hash: str
    events_digest: str
    snapshot: str

    def seal(self, key: bytes) -> str:
        return seal_of(
            key,
            self.instance_id,
            self.instance_version,
            self.seq,
            self.bundle_hash,
            self.events_digest,
            self.snapshot,
        )


def seal_of(
    key: bytes,
    instance_id: int,
    instance_version: int,
    seq: int,
    bundle_hash: str,
    events_digest: str,
    snapshot: str,
) -> str:
    sealed = f"{instance_id}|{instance_version}|{seq}|{bundle_hash}|{events_digest}|{state_hash(snapshot)}"
    return hmac.new(key, sealed.encode(), hashlib.sha256).hexdigest()


def key_of(settings: Settings) -> bytes | None:
    """The sealing key: the configured one, else the data folder's key file (made on first use,
    mode 0600). None when neither can be had: verify then replays everything and keeps nothing."""
    if settings.replay_key:
        return settings.replay_key.encode()
    path = Path(settings.data_dir) / KEY_FILE
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(os.urandom(32).hex())
        return path.read_text(encoding="ascii").strip().encode()
    except (OSError, UnicodeDecodeError):
        return None


def digest_of(events: Iterable[ChainedEvent]) -> str:
    """sha256 over the chain hashes of a case's events, in order: any change to any of them, or one
    more or one fewer, gives another digest."""
    digest = hashlib.sha256()
    for event in events:
        digest.update(f"{event.seq}:{event.chain_hash}\n".encode())
    return digest.hexdigest()


_COLUMNS = select(  # a checkpoint's fields in their order, then its seal
    *(getattr(ReplayCheckpoint, field.name) for field in fields(Checkpoint)),
    ReplayCheckpoint.seal.label("stored_seal"),
)


@dataclass(frozen=True)
class Stored(Checkpoint):
    """A checkpoint as read back, with the seal it was stored with."""

    stored_seal: str = ""


def load(session: Session, instance_id: int) -> Stored | None:
    row = session.execute(_COLUMNS.where(ReplayCheckpoint.instance_id == instance_id)).one_or_none()
    return Stored(**row._mapping) if row is not None else None


def start_after(row: Stored, events: Sequence[ChainedEvent], key: bytes) -> int | str:
    """The index in `events` of the event the checkpoint reached, or why it is not trusted."""
    if not hmac.compare_digest(row.seal(key), row.stored_seal or ""):
        return "its seal does not hold (written without the key, or under another key)"
    index = next((i for i, e in enumerate(events) if e.instance_version == row.instance_version), None)
    if index is None or events[index].seq != row.seq:
        return f"the case has no event {row.seq} at version {row.instance_version}"
    event = events[index]
    if event.bundle_hash != row.bundle_hash:
        return f"event {row.seq} ran on another diagram bundle"
    if digest_of(events[: index + 1]) != row.events_digest:
        return f"the case's events up to {row.seq} are not those it was made from"
    if state_hash(row.snapshot) != event.state_hash:
        return f"its snapshot is not the state event {row.seq} logged"
    return index


def save(kernel: Kernel, made: list[Checkpoint], key: bytes) -> None:
    """Replace the checkpoints of these cases, in one write transaction. A database that refuses
    (another verify saving the same cases at once, say) costs the next verify some replay, never
    this verify's report: it is logged and passed over."""
    if not made:
        return
    try:
        _save(kernel, made, key)
    except SQLAlchemyError as exc:
        log.warning("replay checkpoints not kept: %s: %s", type(exc).__name__, exc)


def _save(kernel: Kernel, made: list[Checkpoint], key: bytes) -> None:
    now = kernel.clock.now()
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        if not kernel.db.is_sqlite:  # two verifies saving at once take turns (SQLite's writers do)
            session.execute(text("LOCK TABLE replay_checkpoint IN SHARE ROW EXCLUSIVE MODE"))
        for start in range(0, len(made), _SAVE_BATCH):
            batch = made[start : start + _SAVE_BATCH]
            ids = [c.instance_id for c in batch]
            session.execute(delete(ReplayCheckpoint).where(ReplayCheckpoint.instance_id.in_(ids)))
            session.add_all(
                ReplayCheckpoint(
                    instance_id=c.instance_id,
                    instance_version=c.instance_version,
                    seq=c.seq,
                    bundle_hash=c.bundle_hash,
                    events_digest=c.events_digest,
                    snapshot=c.snapshot,
                    seal=c.seal(key),
                    made_at=now,
                )
                for c in batch
            )
            session.flush()
        uow.commit()
