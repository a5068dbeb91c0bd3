"""A block that appends several events (a tick batch) takes each shard's head once
(`history.heads_kept`): its later events follow the head its own appends left, and on PostgreSQL
their places in the order of all events are drawn while the head is held, so that every shard's
events stay in the order of their numbers whoever waits for the head."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import sqlalchemy as sa
from support import statements_sent

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event
from xianfeng.engine.process import history
from xianfeng.engine.services import audit, chain

LOCK = "SELECT SEQ, HASH,"  # the statement that locks and reads a shard's head
DRAW = "SELECT NEXTVAL('EVENT_SEQ') FROM"


def _notes(kernel: Kernel, count: int, wanted: dict[int, int] | None, first: int = 0) -> None:
    """`count` events outside any case (shard 0) in one transaction, in a `heads_kept` block
    meaning to append `wanted` (none: no block)."""
    with kernel.db.unit_of_work() as uow:
        if wanted is None:
            for n in range(count):
                chain.record(uow.session, kernel, None, "test_note", {"n": first + n})
        else:
            with history.heads_kept(uow.session, wanted):
                for n in range(count):
                    chain.record(uow.session, kernel, None, "test_note", {"n": first + n})
        uow.commit()


def _shard_zero(kernel: Kernel) -> list[tuple[int, int, int]]:
    """(seq, shard_seq, n) of the test's notes, in the order of all events."""
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            sa.select(Event.seq, Event.shard_seq, Event.payload)
            .where(Event.kind == "test_note")
            .order_by(Event.seq)
        ).all()
    return [(seq, shard_seq, json.loads(payload)["n"]) for seq, shard_seq, payload in rows]


def _chain_clean(kernel: Kernel) -> None:
    with kernel.db.unit_of_work(write=False) as uow:
        assert history.verify_chain(uow.session) == []
    assert audit.verify(kernel).ok


def test_a_blocks_events_in_one_shard_take_its_head_once(backend: Kernel) -> None:
    """Five events of one shard: one statement locks its head (one an event without the block),
    and on PostgreSQL one more draws the other four's places; they are numbered in turn."""
    with statements_sent(backend) as seen:
        _notes(backend, 5, {0: 5})
    kinds = Counter(sent.words for sent in seen)
    assert kinds[LOCK] == 1
    assert kinds[DRAW] == (0 if backend.db.is_sqlite else 1)
    with statements_sent(backend) as seen:
        _notes(backend, 5, None, first=5)
    assert Counter(sent.words for sent in seen)[LOCK] == 5
    notes = _shard_zero(backend)
    assert [n for _seq, _shard_seq, n in notes] == list(range(10))
    numbers = [shard_seq for _seq, shard_seq, _n in notes]
    assert numbers == list(range(numbers[0], numbers[0] + 10))
    _chain_clean(backend)


def test_more_events_than_the_block_meant_take_the_head_again(backend: Kernel) -> None:
    """A block meaning two events that appends four: PostgreSQL locks the head again for each of
    the two it drew no place for (SQLite, one writer, numbers them after its last); the chain
    holds."""
    with statements_sent(backend) as seen:
        _notes(backend, 4, {0: 2})
    assert Counter(sent.words for sent in seen)[LOCK] == (1 if backend.db.is_sqlite else 3)
    notes = _shard_zero(backend)
    assert [n for *_numbers, n in notes] == [0, 1, 2, 3]
    _chain_clean(backend)


def test_a_block_rolled_back_with_its_savepoint_leaves_the_head_as_it_was(backend: Kernel) -> None:
    """Events appended in a block whose savepoint is rolled back are gone, and the next event
    (outside any block) follows the head as the database has it."""
    _notes(backend, 1, None)
    with backend.db.unit_of_work() as uow:
        session = uow.session
        savepoint = session.begin_nested()
        with history.heads_kept(session, {0: 3}):
            for n in range(3):
                chain.record(session, backend, None, "test_note", {"n": 10 + n})
        savepoint.rollback()
        chain.record(session, backend, None, "test_note", {"n": 1})
        uow.commit()
    assert [n for *_numbers, n in _shard_zero(backend)] == [0, 1]
    _chain_clean(backend)


def _waiting_for_a_lock(kernel: Kernel) -> bool:
    with kernel.db.engine.connect() as connection:
        waiting = connection.execute(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        ).scalar_one()
    return bool(waiting)


def test_on_postgresql_an_appender_waiting_for_the_head_follows_every_event_of_its_holder(
    postgres_kernel: Kernel,
) -> None:
    """One transaction holds shard 0's head, appends, and goes on appending past the places it
    drew while another waits for the head: the waiting one's event comes after all of them in
    the order of all events, as in its shard, and the chain verifies."""
    kernel = postgres_kernel
    released = threading.Event()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            _notes(kernel, 1, None, first=99)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            released.set()

    with kernel.db.unit_of_work() as uow:
        with history.heads_kept(uow.session, {0: 1}):
            chain.record(uow.session, kernel, None, "test_note", {"n": 0})
            waiter = threading.Thread(target=other)
            waiter.start()
            deadline = time.monotonic() + 10
            while not _waiting_for_a_lock(kernel) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert _waiting_for_a_lock(kernel), "the other appender should wait for shard 0's head"
            for n in (1, 2):  # beyond the one place the block drew: the head is taken again
                chain.record(uow.session, kernel, None, "test_note", {"n": n})
        assert not released.is_set()
        uow.commit()
    waiter.join(10)
    assert not errors, errors
    notes = _shard_zero(kernel)
    assert [n for *_numbers, n in notes] == [0, 1, 2, 99]
    assert [shard_seq for _seq, shard_seq, _n in notes] == sorted(shard_seq for _seq, shard_seq, _n in notes)
    _chain_clean(kernel)
