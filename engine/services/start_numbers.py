"""Keeping `start_number`, the whole numbers of each case's start form (see `models.start_numbers`):
each start writes its case's rows before its event is appended, so the event records them; the
cases started before the table existed get theirs once, from their start events, in an `adopt`
event (`adopt_earlier_starts`, run by `init`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..journal.capture import journal_of
from ..journal.rebuild import read_table
from ..journal.tables import CHAINED
from ..kernel import Kernel
from ..models import Event, StartNumber
from ..models.start_numbers import whole_numbers
from . import chain

TABLE = StartNumber.__tablename__
_BATCH = 500


def record(session: Session, instance_id: int, data: dict[str, Any]) -> None:
    """Write the whole numbers of a start's data for its case: the event appended next records
    them (the journal sees every ORM insert)."""
    session.add_all(
        StartNumber(instance_id=instance_id, field=field, value=value) for field, value in whole_numbers(data)
    )


def adopt_earlier_starts(kernel: Kernel) -> int | None:
    """Put on the chain the start numbers of the cases no event gave them to: those started before
    starts wrote them (migration 0022 filled them in from each case's start event). One `adopt`
    event; None when no case lacks them.

    The rows come from the start events, which the chain vouches for: a row the migration left that
    agrees with its case's start event is recorded as it stands, a missing one is written, and a
    row that agrees with no start event is left for `verify` to report. A case the log already
    gives rows to is never adopted again: a row of it missing from the table is tampering, which
    `verify` reports."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        stored = _stored(session)
        journal = journal_of(session)
        for instance_id, data in _unlogged_starts(session):
            for field, value in whole_numbers(data):
                expected = {"instance_id": instance_id, "field": field, "value": value}
                found = stored.get((instance_id, field))
                if found is None:
                    session.add(StartNumber(**expected))
                elif found[1] == expected:
                    journal.add(TABLE, "insert", found[0], found[1])
        session.flush()
        if not journal.pending:
            return None
        reason = "the whole numbers of the cases started before starts recorded them (migration 0022)"
        seq = chain.record(session, kernel, None, "adopt", {"reason": reason})
        uow.commit()
    return seq


def _stored(session: Session) -> dict[tuple[int, str], tuple[Any, dict[str, Any]]]:
    """The table's rows by (case, field): (logged key, image)."""
    return {
        (values["instance_id"], values["field"]): (key, values)
        for key, values in read_table(session, CHAINED[TABLE])
    }


def _unlogged_starts(session: Session) -> Iterator[tuple[int, Any]]:
    """(case, start data) of every case no event has given start numbers to."""
    logged = _logged_cases(session)
    started = session.execute(
        select(Event.instance_id).where(Event.kind == "start", Event.instance_version == 1)
    ).scalars()
    todo = sorted(i for i in started if i is not None and i not in logged)
    for first in range(0, len(todo), _BATCH):
        rows = session.execute(
            select(Event.instance_id, Event.payload)
            .where(
                Event.kind == "start",
                Event.instance_version == 1,
                Event.instance_id.in_(todo[first : first + _BATCH]),
            )
            .order_by(Event.instance_id)
        ).all()
        for instance_id, payload in rows:
            assert instance_id is not None  # chosen among the cases'
            yield instance_id, _data_of(payload)


def _logged_cases(session: Session) -> set[int]:
    """The cases some event wrote start numbers for: only a start (`record`) and an adoption write
    them, so only those events' row changes are searched (`init` runs this on every start of the
    demo, and a county's log holds millions of other events)."""
    found: set[int] = set()
    events = session.execute(
        select(Event.changes)
        .where(Event.kind.in_(("start", "adopt")), Event.changes.contains(f'"{TABLE}"'))
        .execution_options(yield_per=_BATCH)
    ).scalars()
    for changes in events:
        for change in json.loads(changes):
            if change.get("table") == TABLE and change.get("op") == "insert":
                found.add(change["values"]["instance_id"])
    return found


def _data_of(payload: str | None) -> Any:
    """The data a start event records; none when it cannot be read (replay would say so)."""
    try:
        return json.loads(payload or "{}").get("data", {})
    except (ValueError, AttributeError):
        return {}
