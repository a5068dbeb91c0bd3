"""PostgreSQL tickers work on different shards of the chain: a ticker passes over the due cases of
a shard another ticker is working on (their batches would take turns at its head), tries them
again after the others, and leaves them to it if it is still there; the next tick fires what it
did not."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from support import started_at_one_deadline, tick_events_per_case

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.process.history import shard_of
from xianfeng.engine.services import audit, timers


def test_a_ticker_leaves_the_cases_of_a_shard_another_ticker_works_on_to_it(
    postgres_kernel: Kernel,
) -> None:
    """Another ticker holds one case's shard: the tick fires the two other cases and not that
    one, which the next tick fires once the other ticker's batch has ended."""
    kernel = postgres_kernel
    walks, deadline = started_at_one_deadline(kernel)
    after = deadline + dt.timedelta(seconds=1)
    held = walks[0].instance_id
    assert len({shard_of(w.instance_id) for w in walks}) == 3
    with kernel.db.engine.connect() as other_ticker:
        other_ticker.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key, :shard)"),
            {"key": timers._TICKING, "shard": shard_of(held)},
        )
        report = timers.tick(kernel, after)
        assert sorted(i for i, _seq in report.fired) == sorted(w.instance_id for w in walks[1:])
        assert report.failed == []
        other_ticker.rollback()  # the other ticker's batch ends
    again = timers.tick(kernel, after)
    assert [i for i, _seq in again.fired] == [held]
    assert tick_events_per_case(kernel) == sorted((w.instance_id, 1) for w in walks)
    assert audit.verify(kernel).ok
