"""How a tick batch writes its cases: in one savepoint, their own inbox, timer, link and
notification rows together at its end (`journal.deferral`); one case that moves rolls the batch
back, and each case is then written alone."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from support import GOOD, CreationWalk, started_at_one_deadline, statements_sent, tick_events_per_case

from xianfeng.engine.journal import capture, deferral
from xianfeng.engine.journal.capture import journal_of
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, HumanTask, Notification, PublicLink, TimerRow
from xianfeng.engine.process.operations import evaluation
from xianfeng.engine.process.service_tasks import ServiceContext
from xianfeng.engine.services import audit, case_ahead, timers
from xianfeng.engine.services.case_ahead import CaseMoved


def _started(kernel: Kernel) -> tuple[list[CreationWalk], dt.datetime]:
    """Three nominations started at one moment; a second after their one evaluation deadline."""
    walks, deadline = started_at_one_deadline(kernel)
    return walks, deadline + dt.timedelta(seconds=1)


def _table_state(kernel: Kernel) -> dict[str, Any]:
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        return {
            "inbox": sorted(session.execute(sa.select(HumanTask.instance_id, HumanTask.spec_id)).all()),
            "timers": sorted(session.execute(sa.select(TimerRow.instance_id, TimerRow.spec_id)).all()),
            "notified": sorted(
                session.execute(sa.select(Notification.user_id, Notification.instance_id, Notification.title))
            ),
        }


def test_a_batchs_own_rows_are_written_by_one_statement_a_kind(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three cases fire in one batch: it deletes and inserts its cases' inbox rows, timers and
    notifications, and closes their public links, by one statement a kind (one a case before);
    on PostgreSQL, which executes each row of an executemany on its own, the deletes and updates
    by one statement for all their rows (`key = ANY(keys)`). Each case's event still records its
    own rows."""
    walks, after = _started(backend)
    monkeypatch.setattr(timers, "_shard_groups", lambda _kernel, due: [due])  # one batch on both
    batches: list[int] = []
    real = timers._write_together

    def counted(session: Any, fires: list[Any], *args: Any) -> bool:
        batches.append(len(fires))
        return real(session, fires, *args)

    monkeypatch.setattr(timers, "_write_together", counted)
    with statements_sent(backend) as seen:
        report = timers.tick(backend, after)
    assert sorted(i for i, _seq in report.fired) == sorted(w.instance_id for w in walks)
    assert batches == [3]
    kinds = Counter(sent.words for sent in seen)
    batch_writes = (
        "DELETE FROM HUMAN_TASK",
        "DELETE FROM TIMER",
        "INSERT INTO HUMAN_TASK",
        "INSERT INTO NOTIFICATION",
        "UPDATE PUBLIC_LINK SET",
    )
    for kind in batch_writes:
        assert kinds[kind] == 1, (kind, kinds)
    assert sum(sent.rows for sent in seen if sent.words == "DELETE FROM TIMER") == 3  # one due timer a case
    # Each case's five public evaluators' links close, by key, in one statement for the batch.
    assert sum(sent.rows for sent in seen if sent.words == "UPDATE PUBLIC_LINK SET") == 15
    many = {sent.words for sent in seen if sent.many and sent.words in batch_writes}
    inserts = {"INSERT INTO HUMAN_TASK", "INSERT INTO NOTIFICATION"}
    assert many == (set(batch_writes) if backend.db.is_sqlite else inserts)
    with backend.db.unit_of_work(write=False) as uow:
        still_open = uow.session.execute(sa.select(PublicLink).where(PublicLink.closed_at.is_(None))).all()
    assert still_open == []
    with backend.db.unit_of_work(write=False) as uow:
        ticks = uow.session.execute(
            sa.select(Event).where(Event.kind == "tick").order_by(Event.seq)
        ).scalars()
        for event in ticks:
            changes = json.loads(event.changes)
            inserted = [c for c in changes if c["table"] in ("human_task", "timer") and c["op"] == "insert"]
            assert inserted and all(c["values"]["instance_id"] == event.instance_id for c in inserted)
    assert audit.verify(backend).ok


def test_writing_together_leaves_what_writing_one_by_one_leaves(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same three cases fired with every write run at once and with the writes run together
    give the same inbox, timers, notifications and row changes in each event."""
    walks, after = _started(backend)
    backend.db.dispose()
    snapshot = _copy_of(backend)
    timers.tick(backend, after)
    together = _table_state(backend), _changes(backend)

    _restore(backend, snapshot)
    monkeypatch.setattr(timers, "_write_together", lambda *_args: False)  # each in its own savepoint
    report = timers.tick(backend, after)
    assert len(report.fired) == len(walks)
    assert (_table_state(backend), _changes(backend)) == together
    assert audit.verify(backend).ok


def _changes(kernel: Kernel) -> list[Any]:
    """Each tick event's row changes, a public link's key (the hash of a random token) left out."""
    with kernel.db.unit_of_work(write=False) as uow:
        ticks = uow.session.execute(sa.select(Event).where(Event.kind == "tick").order_by(Event.instance_id))
        return [
            (event.instance_id, [{**c, "key": None} if c["table"] == "public_link" else c for c in changes])
            for event in ticks.scalars()
            for changes in [json.loads(event.changes)]
        ]


def _copy_of(kernel: Kernel) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (a copy to start again from)."""
    tables = sa.MetaData()
    tables.reflect(kernel.db.engine)
    with kernel.db.engine.connect() as connection:
        return {
            name: [dict(row._mapping) for row in connection.execute(sa.select(table))]
            for name, table in tables.tables.items()
        }


def _restore(kernel: Kernel, rows: dict[str, list[dict[str, Any]]]) -> None:
    tables = sa.MetaData()
    tables.reflect(kernel.db.engine)
    ordered = tables.sorted_tables
    with kernel.db.engine.begin() as connection:
        for table in reversed(ordered):
            connection.execute(table.delete().execution_options(xianfeng_chained=True))
        for table in ordered:
            if rows.get(table.name):
                connection.execute(table.insert().execution_options(xianfeng_chained=True), rows[table.name])


def test_a_case_that_moves_while_the_batch_is_written_rolls_it_back_and_each_is_written_alone(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second case of a batch turns out to have moved after its rows and event were written:
    everything the batch wrote is rolled back, the other two are written each in its own
    savepoint, and the moved one is computed again and fired; each case has one tick event."""
    walks, after = _started(backend)
    moved_once = walks[1].instance_id
    real = case_ahead.CaseAhead.write
    raised: list[int] = []

    def moving(self: case_ahead.CaseAhead, *args: Any, **kwargs: Any) -> list[int]:
        seqs = real(self, *args, **kwargs)
        if self.instance.id == moved_once and not raised:
            raised.append(self.instance.id)
            raise CaseMoved
        return seqs

    monkeypatch.setattr(case_ahead.CaseAhead, "write", moving)
    report = timers.tick(backend, after)
    assert raised == [moved_once]
    assert sorted(i for i, _seq in report.fired) == sorted(w.instance_id for w in walks)
    assert not report.failed
    with backend.db.unit_of_work(write=False) as uow:
        due = uow.session.execute(sa.select(TimerRow).where(TimerRow.due_at < after)).first()
    assert tick_events_per_case(backend) == sorted((w.instance_id, 1) for w in walks)
    assert due is None
    assert audit.verify(backend).ok


def _timer_row(kernel: Kernel, walk: CreationWalk, timer_id: str) -> dict[str, Any]:
    with kernel.db.unit_of_work(write=False) as uow:
        due = uow.session.execute(sa.select(TimerRow.due_at)).scalars().first()
    return {"id": timer_id, "instance_id": walk.instance_id, "spec_id": "Timer_test", "due_at": due}


def test_a_statement_reading_a_table_with_writes_waiting_runs_them_first(backend: Kernel) -> None:
    """Waiting writes never change what a statement reads: one that reads their table (or text
    SQL that does not say what it reads) runs them first; one that reads another table does not;
    a row inserted and then deleted while waiting is gone."""
    walks, _after = _started(backend)
    row = _timer_row(backend, walks[0], "timer-waiting")
    with backend.db.unit_of_work() as uow:
        session, connection = uow.session, uow.session.connection()
        with deferral.deferring(connection) as deferred:
            capture.insert_rows(session, TimerRow, [row])
            assert len(deferred.queued) == 1
            session.execute(sa.select(sa.func.count()).select_from(HumanTask)).scalar_one()
            assert len(deferred.queued) == 1  # another table: still waiting
            found = session.execute(sa.select(TimerRow.id).where(TimerRow.id == row["id"])).scalar()
            assert found == row["id"] and not deferred.queued
            capture.insert_rows(session, TimerRow, [{**row, "id": "timer-gone"}])
            capture.delete_keys(session, TimerRow, ["timer-gone"])
            session.execute(sa.text("SELECT 1")).scalar_one()  # text: its tables cannot be told
            assert not deferred.queued
            gone = session.execute(sa.select(TimerRow.id).where(TimerRow.id == "timer-gone")).scalar()
            assert gone is None
        session.rollback()


def test_writes_waiting_when_the_block_is_left_are_never_run(kernel: Kernel) -> None:
    walks, _after = _started(kernel)
    row = _timer_row(kernel, walks[0], "timer-dropped")
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        with deferral.deferring(session.connection()):
            capture.insert_rows(session, TimerRow, [row])
        journal_of(session).pending.clear()  # the test's own insert has no event to go on
        assert session.execute(sa.select(TimerRow.id).where(TimerRow.id == row["id"])).scalar() is None
        session.rollback()


def test_a_case_answered_between_its_claim_and_the_write_lock_is_computed_again(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite claims a batch before it takes the write lock, then reads the cases again in one
    statement: an evaluator who answers in between moves the case, whose tick is computed again
    and counts the answer; the others are written as computed."""
    walks, after = _started(kernel)
    late = walks[1]
    real = timers._claim
    answered: list[int] = []

    def claim_then_answer(session: Any, window: list[int], now: dt.datetime) -> list[Any]:
        claimed = real(session, window, now)  # read outside the lock, as the answer finds them
        if not answered:
            answered.append(late.instance_id)
            late.complete("member2", dict(GOOD), "Task_member_evaluation")
        return claimed

    monkeypatch.setattr(timers, "_claim", claim_then_answer)
    report = timers.tick(kernel, after)
    assert sorted(i for i, _seq in report.fired) == sorted(w.instance_id for w in walks)
    with kernel.db.unit_of_work(write=False) as uow:
        (tick,) = uow.session.execute(
            sa.select(Event).where(Event.instance_id == late.instance_id, Event.kind == "tick")
        ).scalars()
    tally = [effect for effect in json.loads(tick.effects) if effect.get("op") == "tally_answers"]
    assert tally[0]["result"]["Task_member_evaluation"]["count"] == 1
    assert audit.verify(kernel).ok


ANSWERS = "SELECT EVENT.INSTANCE_ID, EVENT.SPEC_ID,"  # the tally's statement (`evaluation.tally_answers`)


def test_a_batch_counts_its_cases_answers_again_in_one_statement(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evaluation deadline's tally, computed for each case, is done again before its event:
    for a whole batch in one statement (one a case before), and each case's tick still records
    its own count (two answers, none, one)."""
    walks, after = _started(backend)
    walks[0].complete("member2", dict(GOOD), "Task_member_evaluation")
    walks[0].complete("member3", dict(GOOD), "Task_member_evaluation")
    walks[2].complete("member2", dict(GOOD), "Task_member_evaluation")
    monkeypatch.setattr(timers, "_shard_groups", lambda _kernel, due: [due])  # one batch on both
    real, during = timers._write_fires, []

    def writing(*args: Any) -> list[int]:
        with statements_sent(backend) as seen:
            moved = real(*args)
        during.extend(seen)
        return moved

    monkeypatch.setattr(timers, "_write_fires", writing)
    report = timers.tick(backend, after)
    assert sorted(i for i, _seq in report.fired) == sorted(w.instance_id for w in walks)
    assert Counter(sent.words for sent in during)[ANSWERS] == 1
    counts = {}
    with backend.db.unit_of_work(write=False) as uow:
        for tick in uow.session.execute(sa.select(Event).where(Event.kind == "tick")).scalars():
            tally = [e for e in json.loads(tick.effects) if e.get("op") == "tally_answers"]
            counts[tick.instance_id] = tally[0]["result"]["Task_member_evaluation"]["count"]
    assert counts == {walks[0].instance_id: 2, walks[1].instance_id: 0, walks[2].instance_id: 1}
    assert audit.verify(backend).ok


def test_answers_counted_together_are_those_each_case_counts_alone(backend: Kernel) -> None:
    """`tally_answers_of_cases` gives each case, with its own tasks, what `tally_answers` gives it."""
    walks, _after = _started(backend)
    walks[0].complete("member2", dict(GOOD), "Task_member_evaluation")
    walks[2].complete("member2", dict(GOOD), "Task_member_evaluation")
    walks[2].complete("member3", dict(GOOD), "Task_member_evaluation")
    asked = [
        (walks[0].instance_id, {"tasks": ["Task_member_evaluation"]}),
        (walks[1].instance_id, {"tasks": ["Task_member_evaluation", "Task_public_evaluation"]}),
        (walks[2].instance_id, {"tasks": ["Task_public_evaluation", "Task_member_evaluation"]}),
    ]
    with backend.db.unit_of_work(write=False) as uow:
        together = evaluation.tally_answers_of_cases(uow.session, asked)
        now = backend.clock.now()
        alone = [
            evaluation.tally_answers(ServiceContext(uow.session, instance_id, None, None, now), **params)
            for instance_id, params in asked
        ]
    assert together == alone
    assert [r["Task_member_evaluation"]["count"] for r in together] == [1, 0, 2]
    assert len(together[2]["Task_member_evaluation"]["members"]) == 2
