"""What auditors trust: the chain verifies, every record people rely on is what the log says, and
replaying the log reproduces every stored state.

Three checks, none of which changes a record:
- the chain: every hash and link recomputed, business time never running backwards, the head and
  each instance's head matching the log (`history.verify_chain`);
- the records: every chained table rebuilt from the row changes the events recorded, and compared
  row by row, column by column (`journal.rebuild`);
- replay: each instance's pinned diagrams re-run on its logged inputs and effects, the snapshot
  after every step matching the hash the log recorded (`replay`). A case an earlier verify
  replayed cleanly replays from where that one ended, when its sealed checkpoint still matches the
  chain (`checkpoints`); a clean run keeps the new checkpoints, its only write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...journal.rebuild import Finding, Rebuilt
from ...kernel import Kernel
from ...models import Event, ProcessInstance
from ...process import history
from . import checkpoints
from .anchors import Anchor, AnchorCheck, events_after
from .parallel import PendingReplay, start_replay


@dataclass
class VerifyReport:
    events: int = 0
    instances: int = 0
    head_seq: int = 0  # the last event's number in the order of all events
    head_hash: str = ""  # the chain's head: the root over every shard's head (`history.root_of`)
    problems: list[str] = field(default_factory=list)
    # The records that differ from what the log says, each with table, key, column and event.
    findings: list[Finding] = field(default_factory=list)
    # Replay's verdict per case replayed: no problems, or the first event that diverges.
    cases: dict[int, list[str]] = field(default_factory=dict)
    # With `since`: the published head replay started after ("seq:hash"), and the cases left out
    # because no event of theirs came after it.
    since: str = ""
    not_replayed: int = 0
    # Replay's work: events replayed, events an earlier verify's checkpoints spared, and the
    # checkpoints not trusted (each such case replayed from its first event).
    replayed_events: int = 0
    checkpointed_events: int = 0
    checkpoints_refused: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    kernel: Kernel,
    progress: Callable[[int], None] | None = None,
    anchor: tuple[int, str] | None = None,
    replay: bool = True,
    anchors: list[Anchor] | None = None,
    instances: list[int] | None = None,
    since: Anchor | None = None,
    checkpointed: bool = True,
) -> VerifyReport:
    """Check the whole chain and rebuild every chained table from it, then replay every instance,
    or only `instances` (an auditor checking chosen cases: the chain and the tables are always
    checked whole, since one removed row anywhere can hide what happened to any case).

    `since`, a published head: replay only the cases with an event after it. The chain is still
    walked whole and checked against that head, so what came before it is what was published; its
    replay is what an earlier verify at or after that head did (a daily verify replays one day).

    `checkpointed`: start each case's replay at its trusted checkpoint; False replays every case
    from its first event (`verify --full`). Either way a clean run keeps new checkpoints."""
    report = VerifyReport()
    if since is not None and since not in (anchors or []):
        anchors = [*(anchors or []), since]
    key = checkpoints.key_of(kernel.settings) if replay else None
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        report.events = session.execute(select(func.count()).select_from(Event)).scalar_one()
        pending = None
        if replay:  # replayed in worker processes while this one walks the chain and the tables
            pending = _start(kernel, session, report, instances, since, progress, key, checkpointed)
        try:
            _check_chain_and_tables(session, report, progress, anchors or [])
            report.head_seq = session.execute(select(func.coalesce(func.max(Event.seq), 0))).scalar_one()
            report.head_hash = history.root_of(history.heads(session))
            if anchor is not None:
                report.problems.extend(_check_anchor(session, *anchor))
        except BaseException:
            if pending is not None:
                pending.close()
            raise
        if pending is not None:
            _replayed(kernel, report, pending, key)
    return report


def _start(
    kernel: Kernel,
    session: Session,
    report: VerifyReport,
    instances: list[int] | None,
    since: Anchor | None,
    progress: Callable[[int], None] | None,
    key: bytes | None,
    checkpointed: bool,
) -> PendingReplay:
    """Choose the cases to replay and set their replay going."""
    ids = _instances_to_replay(session, instances)
    if since is not None:
        moved = _moved_since(session, since)
        report.since, report.not_replayed = f"{since.seq}:{since.hash}", len(ids) - len(moved & set(ids))
        ids = [i for i in ids if i in moved]
    report.instances = len(ids)
    return start_replay(kernel, ids, progress, key=key, trust=checkpointed)


def _replayed(kernel: Kernel, report: VerifyReport, pending: PendingReplay, key: bytes | None) -> None:
    """Take in the replay's answers; keep the checkpoints of clean cases when nothing else was
    found wrong (a checkpoint vouches for a chain that verified)."""
    chain_clean = not report.problems
    found = pending.result()
    for instance_id, replayed in found.items():
        report.cases[instance_id] = replayed.problems
        report.problems.extend(replayed.problems)
        report.replayed_events += replayed.replayed
        report.checkpointed_events += replayed.spared
        report.checkpoints_refused += bool(replayed.refused)
    if key is not None and chain_clean:
        made = [r.checkpoint for r in found.values() if r.checkpoint is not None and not r.problems]
        checkpoints.save(kernel, made, key)


def _check_chain_and_tables(
    session: Session, report: VerifyReport, progress: Callable[[int], None] | None, anchors: list[Anchor]
) -> None:
    """One walk along the chain: hashes and links, the published heads, and the tables' rebuild."""
    rebuilt = Rebuilt()
    published = AnchorCheck(anchors)

    def visit(event: Event) -> None:
        rebuilt.feed(event)
        published.visit(event, rebuilt)

    report.problems.extend(str(p) for p in history.verify_chain(session, progress, visit=visit))
    report.problems.extend(published.finish(session))
    report.findings = rebuilt.compare(session)
    report.problems.extend(str(f) for f in report.findings)


def _instances_to_replay(session: Session, chosen: list[int] | None) -> list[int]:
    statement = select(ProcessInstance.id).order_by(ProcessInstance.id)
    if chosen is not None:
        statement = statement.where(ProcessInstance.id.in_(chosen))
    return list(session.execute(statement).scalars())


def _moved_since(session: Session, anchor: Anchor) -> set[int]:
    """The cases with an event the published head does not hold."""
    found = session.execute(
        select(Event.instance_id).where(events_after(anchor), Event.instance_id.is_not(None)).distinct()
    ).scalars()
    return {i for i in found if i is not None}


def _check_anchor(session: Session, seq: int, digest: str) -> list[str]:
    row = session.get(Event, seq)
    if row is None:
        return [f"anchor: event {seq} no longer exists"]
    if row.hash != digest:
        return [
            f"anchor: event {seq} now has hash {row.hash[:12]}…, the published anchor says {digest[:12]}…"
        ]
    return []


def count_events(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Event)).scalar_one())
