"""Putting on the chain the records an older version of Xianfeng wrote without recording them.

Before the journal (migration 0009) events carried no row changes, so the registers of such a
database are on no event. `init` records them once, as they stand, in one `adopt` event: from it
on, `verify` rebuilds every table. Adoption never happens again once any event has recorded rows;
a row off the chain after that is tampering, not history, and `verify` reports it.
"""

from __future__ import annotations

from sqlalchemy import select

from ..journal.capture import journal_of
from ..journal.rebuild import Rebuilt, read_table
from ..journal.tables import CHAINED
from ..kernel import Kernel
from ..models import Event
from ..process import history
from . import chain


def adopt_unchained(kernel: Kernel) -> int | None:
    """Record every row of the chained tables in one event if no event records rows yet and some
    rows exist; the event's sequence number, or None when there was nothing to adopt."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        history.ensure_head(session)
        recorded = session.execute(select(Event.seq).where(Event.changes != history.NO_CHANGES).limit(1))
        if recorded.first() is not None:
            return None
        journal = journal_of(session)
        for name, spec in CHAINED.items():
            for key, values in read_table(session, spec):
                journal.add(name, "insert", list(key) if isinstance(key, tuple) else key, values)
        if not journal.pending:
            return None
        seq = chain.record(
            session,
            kernel,
            None,
            "adopt",
            {"reason": "rows written before events recorded rows (migration 0009), as they stood"},
        )
        uow.commit()
    return seq


def adopt_new_columns(kernel: Kernel) -> int | None:
    """Record, once, the value of every column a migration added to a chained table, for the rows
    the log already holds: until then the log says nothing of those columns for old rows, and a
    change to them behind the system's back could not be caught. One `adopt` event; None when the
    log already knows every column of every row."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        rebuilt = Rebuilt()
        for event in history.iter_events(session):
            rebuilt.feed(event)
        journal = journal_of(session)
        for name, spec in CHAINED.items():
            logged = rebuilt.tables[name]
            for key, values in read_table(session, spec):
                row = logged.get(key)
                missing = {
                    column: value for column, value in values.items() if row and column not in row.values
                }
                if missing:
                    journal.add(name, "update", list(key) if isinstance(key, tuple) else key, missing)
        if not journal.pending:
            return None
        seq = chain.record(
            session, kernel, None, "adopt", {"reason": "columns a migration added, as they stood"}
        )
        uow.commit()
    return seq
