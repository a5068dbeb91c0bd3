"""The ticks a process keeps computed ahead of their deadlines: bounded, by case, dropped when stale."""

from __future__ import annotations

import datetime as dt

import pytest

from xianfeng.engine.services import kept_ahead
from xianfeng.engine.services.kept_ahead import Ahead, FiresAhead

DEADLINE = dt.datetime(2026, 12, 9, 16, tzinfo=dt.UTC)


def test_a_case_is_held_for_the_version_it_was_computed_from_and_taken_once() -> None:
    store = FiresAhead()
    store.keep(7, Ahead(None, 3, DEADLINE))
    assert store.holds(7, 3) and not store.holds(7, 4) and not store.holds(8, 3)
    assert store.take(7) == Ahead(None, 3, DEADLINE)
    assert store.take(7) is None
    assert len(store) == 0


def test_the_store_keeps_at_most_its_bound_but_a_case_held_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kept_ahead, "MAX_KEPT", 2)
    store = FiresAhead()
    for case in (1, 2, 3):
        store.keep(case, Ahead(None, 1, DEADLINE))
    assert len(store) == 2 and store.full() and store.take(3) is None
    store.keep(2, Ahead(None, 5, DEADLINE))  # computed again after the case moved
    assert store.holds(2, 5) and not store.holds(2, 1)
    assert store.take(1) is not None and not store.full()


def test_ticks_for_deadlines_before_a_moment_are_dropped() -> None:
    store = FiresAhead()
    store.keep(1, Ahead(None, 1, DEADLINE - dt.timedelta(minutes=10)))
    store.keep(2, Ahead(None, 1, DEADLINE))
    store.drop_before(DEADLINE - dt.timedelta(minutes=5))
    assert store.take(1) is None and store.take(2) is not None
