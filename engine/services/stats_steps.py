"""Fold the log into step timings: when each human task was put up and when it was done (and, on
the way, tell people why a task came back: `case_news`).

An inbox row lives only while its task waits, so the log is the only place that knows how long a
done task waited: the event whose row changes insert the task, and the one that deletes it. The
ticker folds new events into `step_timing` every round (in batches, from a cursor per shard), so the
statistics answer "average working days per step" with one GROUP BY. A round with nothing new
only reads. Working days are counted on the engine's calendar (holidays, 调休), as deadlines are.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..kernel import Kernel
from ..models import ChainHead, Event, ProcessInstance, StatsCursor, StatsShardCursor, StepTiming
from ..process.calendar import WorkingCalendar
from ..process.history import SHARDS
from . import case_news
from .calendar_admin import load_calendar

CURSOR_ID = 1
BATCH = 2000
# How a row change of the inbox is spelled in an event's canonical JSON (keys sorted, compact).
_TOUCHES_INBOX = '%"table":"human_task"%'


@dataclass
class _Fold:
    """The inserts and deletes of inbox rows found in a batch of events, in chain order."""

    put_up: dict[str, dict[str, Any]] = field(default_factory=dict)
    taken_down: list[tuple[str, dt.datetime, str]] = field(default_factory=list)
    news: list[case_news.News] = field(default_factory=list)  # tasks that came back after a return


_EVENT_COLUMNS = (
    Event.seq,
    Event.instance_id,
    Event.kind,
    Event.task_id,
    Event.business_time,
    Event.changes,
    Event.payload,
)


def behind(kernel: Kernel) -> bool:
    """Whether events wait to be folded (a read only: the ticker asks every second): a shard whose
    committed head is past its cursor, or events from before the shards still to fold."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        cursor = session.get(StatsCursor, CURSOR_ID)
        if cursor is None:
            return session.execute(select(Event.seq).limit(1)).first() is not None
        if cursor.seq < cursor.legacy_end:
            return True
        ahead = (
            select(ChainHead.shard)
            .join(StatsShardCursor, StatsShardCursor.shard == ChainHead.shard)
            .where(ChainHead.seq > StatsShardCursor.shard_seq)
            .limit(1)
        )
        return session.execute(ahead).first() is not None


def catch_up(kernel: Kernel, batch: int = BATCH) -> int:
    """Fold up to `batch` inbox-changing events past the cursors; the number of events passed over.

    Each shard is folded up to its committed head, by its gapless number (`StatsShardCursor` says
    why not by `seq`). Tickers of several workers (or servers) fold in turn, on the cursor row's lock."""
    if not behind(kernel):
        return 0
    _make_cursor(kernel)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        cursor = session.execute(
            select(StatsCursor).where(StatsCursor.id == CURSOR_ID).with_for_update()
        ).scalar_one()
        if cursor.seq < cursor.legacy_end:
            passed = _fold_legacy(session, cursor, batch)
        else:
            passed = _fold_shards(session, cursor, batch)
        uow.commit()
    return passed


def _fold_legacy(session: Session, cursor: StatsCursor, batch: int) -> int:
    """Events from before the shards, by `seq`: all of them committed long ago."""
    events = session.execute(
        select(*_EVENT_COLUMNS)
        .where(
            Event.seq > cursor.seq,
            Event.seq <= cursor.legacy_end,
            Event.shard_seq.is_(None),
            Event.changes.like(_TOUCHES_INBOX),
        )
        .order_by(Event.seq)
        .limit(batch)
    ).all()
    _fold_and_apply(session, events)
    start = cursor.seq
    cursor.seq = events[-1].seq if len(events) == batch else cursor.legacy_end
    if events:
        cursor.business_time = events[-1].business_time
    return cursor.seq - start


def _fold_shards(session: Session, cursor: StatsCursor, batch: int) -> int:
    heads = dict(session.execute(select(ChainHead.shard, ChainHead.seq)).all())
    shards = {row.shard: row for row in session.execute(select(StatsShardCursor).with_for_update()).scalars()}
    pending = [
        and_(Event.shard == shard, Event.shard_seq > row.shard_seq, Event.shard_seq <= heads[shard])
        for shard, row in shards.items()
        if heads.get(shard, 0) > row.shard_seq
    ]
    if not pending:
        return 0
    events = session.execute(
        select(*_EVENT_COLUMNS, Event.shard, Event.shard_seq)
        .where(or_(*pending), Event.changes.like(_TOUCHES_INBOX))
        .order_by(Event.seq)
        .limit(batch)
    ).all()
    _fold_and_apply(session, [event[:7] for event in events])
    reached = {shard: heads.get(shard, 0) for shard in shards}
    if len(events) == batch:  # a prefix in seq order is a prefix of each shard: stop where it stops
        reached = {shard: row.shard_seq for shard, row in shards.items()}
        for event in events:
            reached[event.shard] = max(reached[event.shard], event.shard_seq)
    passed = 0
    for shard, row in shards.items():
        passed += max(0, reached[shard] - row.shard_seq)
        row.shard_seq = max(row.shard_seq, reached[shard])
    if events and events[-1].seq > cursor.seq:
        cursor.seq, cursor.business_time = events[-1].seq, events[-1].business_time
    return passed


def _fold_and_apply(session: Session, events: Any) -> None:
    fold = _fold(events)
    _apply(session, fold, load_calendar(session))
    case_news.tell(session, fold.news)


def _make_cursor(kernel: Kernel) -> None:
    """The cursor rows, made once before the first fold: tickers that start together would each make
    them, and all but one fail. Events from before the shards are folded first, by `seq`."""
    with kernel.db.unit_of_work(write=False) as uow:
        if uow.session.get(StatsCursor, CURSOR_ID) is not None:
            return
    try:
        with kernel.db.unit_of_work() as uow:
            session = uow.session
            legacy_end = session.execute(
                select(func.max(Event.seq)).where(Event.shard_seq.is_(None))
            ).scalar()
            session.add(StatsCursor(id=CURSOR_ID, seq=0, legacy_end=int(legacy_end or 0)))
            session.add_all(StatsShardCursor(shard=shard, shard_seq=0) for shard in range(SHARDS))
            uow.commit()
    except IntegrityError:
        return  # another ticker made them first


def _fold(events: Any) -> _Fold:
    fold = _Fold()
    for seq, instance_id, kind, task_id, at, changes, payload in events:
        parsed = json.loads(changes or "[]")
        fold.news.append(case_news.read(parsed, kind, payload))
        for change in parsed:
            if change.get("table") != "human_task":
                continue
            key = str(change.get("key"))
            if change.get("op") == "insert":
                fold.put_up[key] = {**change.get("values", {}), "instance_id": instance_id, "seq": seq}
            elif change.get("op") == "delete":
                fold.taken_down.append((key, at, kind if task_id == key else ""))
    return fold


def _instant(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _apply(session: Session, fold: _Fold, calendar: WorkingCalendar) -> None:
    keys = {*fold.put_up, *(key for key, _at, _kind in fold.taken_down)}
    known = (
        {
            row.task_id: row
            for row in session.execute(select(StepTiming).where(StepTiming.task_id.in_(keys))).scalars()
        }
        if keys
        else {}
    )
    instances = {v["instance_id"] for v in fold.put_up.values()}
    process_keys = (
        dict(
            session.execute(
                select(ProcessInstance.id, ProcessInstance.process_key).where(
                    ProcessInstance.id.in_(instances)
                )
            ).all()
        )
        if instances
        else {}
    )
    for key, values in fold.put_up.items():
        if key in known:
            continue  # folded before (a cursor moved back by hand): keep the first fold
        row = StepTiming(
            task_id=key,
            instance_id=values["instance_id"],
            process_key=process_keys.get(values["instance_id"], ""),
            spec_id=str(values.get("spec_id") or ""),
            name=str(values.get("name") or ""),
            name_en=str(values.get("name_en") or ""),
            role=str(values.get("role") or ""),
            branch_id=values.get("branch_id"),
            created_at=_instant(values.get("created_at")),
            due_at=_instant(values.get("due_at")),
            ended_by="",
            late=False,
        )
        session.add(row)
        known[key] = row
    for key, at, kind in fold.taken_down:
        done = known.get(key)
        if done is None or done.ended_at is not None or done.created_at is None:
            continue
        done.ended_at, done.ended_by = at, kind
        done.working_days = calendar.working_days_between(done.created_at, at)
        done.late = done.due_at is not None and at > done.due_at
