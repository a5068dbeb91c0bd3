"""A nomination finds the running nominations of its nominee through the whole numbers of each case's
start form (`start_number`), written with the start event and on the chain, instead of reading the
start event of every running nomination (SQLite and PostgreSQL). The rule itself, one nomination
at a time, stays in the diagram (Script_nomination_rules)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from nomination_support import instance_count, nothing_changed, verified
from support import CreationWalk, actor, behind_the_back, member_id_of, table_contents

from xianfeng.engine.errors import RuleViolation
from xianfeng.engine.journal.capture import CHAINED_OPTION
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ChainHead, Event, ProcessInstance, StartNumber
from xianfeng.engine.process import history
from xianfeng.engine.process.operations.evaluation import running_cases_naming
from xianfeng.engine.services import audit, setup, start_numbers, starts_ahead, withdraw

AGAIN = {"evaluators": ("member5", "member6", "member7")}  # member1 again, other evaluators
REFUSED = "正在进行的示范岗提名（案件 {}："


def _numbers_of(kernel: Kernel, instance_id: int) -> dict[str, int]:
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            sa.select(StartNumber.field, StartNumber.value).where(StartNumber.instance_id == instance_id)
        ).all()
    return {field: value for field, value in rows}


def _start_event(kernel: Kernel, instance_id: int) -> Event:
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(
            sa.select(Event).where(Event.instance_id == instance_id, Event.instance_version == 1)
        ).scalar_one()


def test_a_start_writes_the_whole_numbers_of_its_form_and_its_event_records_them(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    member = member_id_of(backend, "member1")
    assert _numbers_of(backend, walk.instance_id) == {
        "candidate_member_id": member,
        "public_evaluator_count": 5,
    }
    changes = json.loads(_start_event(backend, walk.instance_id).changes)
    recorded = {c["values"]["field"]: c["values"] for c in changes if c["table"] == "start_number"}
    assert recorded["candidate_member_id"] == {
        "instance_id": walk.instance_id,
        "field": "candidate_member_id",
        "value": member,
    }
    assert set(recorded) == {"candidate_member_id", "public_evaluator_count"}


def test_a_second_nomination_of_a_member_is_refused_while_the_first_runs(backend: Kernel) -> None:
    first = CreationWalk(backend)
    first.start()
    before = table_contents(backend)
    with pytest.raises(RuleViolation, match=REFUSED.format(first.instance_id)):
        CreationWalk(backend, **AGAIN).start(post_title="政策宣讲示范岗")
    nothing_changed(backend, before)
    verified(backend)


def test_a_withdrawn_nomination_lets_a_new_one_of_the_member_start(backend: Kernel) -> None:
    first = CreationWalk(backend)
    first.start()
    withdraw.withdraw(backend, actor(backend, "secretary1"), first.instance_id, "支部重新研究")
    again = CreationWalk(backend, **AGAIN)
    assert again.start(post_title="政策宣讲示范岗").status == "running"
    with pytest.raises(RuleViolation, match=REFUSED.format(again.instance_id)):
        CreationWalk(backend, evaluators=("member6", "member7", "member8")).start()
    verified(backend)


def test_a_rejected_nomination_lets_a_new_one_of_the_member_start(backend: Kernel) -> None:
    first = CreationWalk(backend)
    first.start()
    first.evaluate()
    first.pass_notice()
    first.consent()
    first.determine()
    assert first.decide("reject").outcome == "rejected"
    assert CreationWalk(backend, **AGAIN).start(post_title="政策宣讲示范岗").status == "running"
    verified(backend)


def test_a_nominees_other_nominations_are_looked_up_through_the_index(backend: Kernel) -> None:
    """However many cases run, the look is one walk of (field, value) in the index, each case it
    finds then read by its key: neither table is scanned."""
    query = running_cases_naming("model_post_creation", "candidate_member_id", 5, 7)
    with backend.db.unit_of_work(write=False) as uow:
        compiled = query.compile(uow.session.get_bind(), compile_kwargs={"literal_binds": True})
        if backend.db.is_sqlite:
            rows = uow.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))
            plan = " | ".join(str(row[-1]) for row in rows)
            assert "SEARCH start_number USING COVERING INDEX ix_start_number_field_value" in plan, plan
            assert "SEARCH process_instance USING INTEGER PRIMARY KEY" in plan, plan
            assert "SCAN" not in plan, plan
        else:
            uow.session.execute(sa.text("SET LOCAL enable_seqscan = off"))  # the few demo rows: force
            plan = " | ".join(str(row[0]) for row in uow.session.execute(sa.text(f"EXPLAIN {compiled}")))
            assert "using ix_start_number_field_value on start_number" in plan, plan
            assert "Seq Scan" not in plan, plan


def test_a_start_number_deleted_behind_the_back_is_reported_by_verify(backend: Kernel) -> None:
    """Without its row, the first nomination is no longer found and a second one of the member
    starts: verify names the missing row and the case it belongs to."""
    first = CreationWalk(backend)
    first.start()
    with backend.db.unit_of_work(write=False) as uow:
        row_id = uow.session.execute(
            sa.select(StartNumber.id).where(
                StartNumber.instance_id == first.instance_id, StartNumber.field == "candidate_member_id"
            )
        ).scalar_one()
    behind_the_back(backend, sa.delete(StartNumber).where(StartNumber.id == row_id))
    assert CreationWalk(backend, **AGAIN).start(post_title="政策宣讲示范岗").status == "running"
    found = audit.verify(backend, replay=False).findings
    assert [(f.table, f.key, f.column, f.instance_id) for f in found] == [
        ("start_number", row_id, None, first.instance_id)
    ]
    assert "is missing" in found[0].message


# A database from before migration 0022 ---------------------------------------------------------


def _alembic(kernel: Kernel, revision: str, up: bool) -> None:
    config = setup.alembic_config(kernel.db.url)
    with kernel.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.upgrade if up else command.downgrade)(config, revision)


def _without_start_numbers(changes: str) -> str:
    kept = [c for c in json.loads(changes) if c["table"] != "start_number"]
    return history.canonical_json(kept) if kept else history.NO_CHANGES


def _rehashed(events: list[Event]) -> tuple[list[dict[str, Any]], dict[int, str], dict[int, str]]:
    """Each event without its start numbers and with its hash made again along its shard; the
    shards' and the cases' last hashes."""
    updates, shard_heads, case_heads = [], {}, {}
    for event in events:
        fields = {name: getattr(event, name) for name in history.HASHED_FIELDS}
        fields["changes"] = _without_start_numbers(event.changes)
        prev = shard_heads.get(event.shard, event.prev_hash)
        digest = history.event_hash(fields, prev)
        updates.append({"b_seq": event.seq, "changes": fields["changes"], "prev_hash": prev, "hash": digest})
        shard_heads[event.shard] = digest
        if event.instance_id is not None:
            case_heads[event.instance_id] = digest
    return updates, shard_heads, case_heads


def _as_before_start_numbers(kernel: Kernel) -> None:
    """Make the database what the code before migration 0022 left: no event records a start
    number (the chain hashed again without them) and the schema at 0021."""
    with kernel.db.unit_of_work(write=False) as uow:
        events = list(uow.session.execute(sa.select(Event).order_by(Event.seq)).scalars())
    updates, shard_heads, case_heads = _rehashed(events)
    options = {CHAINED_OPTION: True}
    event_row = Event.__table__.c.seq == sa.bindparam("b_seq")
    with kernel.db.engine.begin() as connection:
        connection.execute(sa.update(Event).where(event_row).execution_options(**options), updates)
        for shard, digest in shard_heads.items():
            head = sa.update(ChainHead).where(ChainHead.shard == shard).values(hash=digest)
            connection.execute(head.execution_options(**options))
        for instance_id, digest in case_heads.items():
            case = (
                sa.update(ProcessInstance).where(ProcessInstance.id == instance_id).values(head_hash=digest)
            )
            connection.execute(case.execution_options(**options))
    with kernel.db.unit_of_work(write=False) as uow:
        assert history.verify_chain(uow.session) == []  # forged whole, as the older code wrote it
    _alembic(kernel, "0021", up=False)


def _adopted(kernel: Kernel) -> list[Event]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(Event).where(Event.kind == "adopt")).scalars())


def test_an_upgraded_database_has_its_cases_start_numbers_on_the_chain(backend: Kernel) -> None:
    """The migration fills in the rows of the cases already started, from their start events;
    until `init` puts them on the chain, verify says no event made them. After, verify is clean,
    the running nomination is found, and a row removed is reported (never adopted again)."""
    first = CreationWalk(backend)
    first.start()
    other = CreationWalk(backend, candidate="member5", evaluators=("member6", "member7", "member8"))
    other.start()
    expected = {i: _numbers_of(backend, i) for i in (first.instance_id, other.instance_id)}
    _as_before_start_numbers(backend)

    _alembic(backend, "head", up=True)
    assert {i: _numbers_of(backend, i) for i in expected} == expected
    unlogged = audit.verify(backend, replay=False).findings
    assert unlogged and {(f.table, f.message) for f in unlogged} == {
        ("start_number", "is in the table, but no event made this row")
    }

    setup.init(backend)
    (adopted,) = _adopted(backend)
    assert '"start_number"' in adopted.changes
    assert start_numbers.adopt_earlier_starts(backend) is None  # once only
    verified(backend)
    with pytest.raises(RuleViolation, match=REFUSED.format(first.instance_id)):
        CreationWalk(backend, **AGAIN).start(post_title="政策宣讲示范岗")

    behind_the_back(backend, sa.delete(StartNumber).where(StartNumber.instance_id == other.instance_id))
    setup.init(backend)
    assert len(_adopted(backend)) == 1
    found = audit.verify(backend, replay=False).findings
    assert {(f.table, f.instance_id) for f in found} == {("start_number", other.instance_id)}
    assert len(found) == 2 and all("is missing" in f.message for f in found)


def test_upgrading_takes_the_rows_from_the_start_events_not_as_the_table_stood(backend: Kernel) -> None:
    """Between the migration and `init`, a row filled in is changed and another removed: the
    removed one is written again from its start event, the changed one is not adopted and verify
    reports it."""
    first = CreationWalk(backend)
    first.start()
    member = member_id_of(backend, "member1")
    _as_before_start_numbers(backend)
    _alembic(backend, "head", up=True)
    mine = StartNumber.instance_id == first.instance_id
    behind_the_back(backend, sa.delete(StartNumber).where(mine, StartNumber.field == "candidate_member_id"))
    forged = (
        sa.update(StartNumber).where(mine, StartNumber.field == "public_evaluator_count").values(value=50)
    )
    behind_the_back(backend, forged)

    before = instance_count(backend)
    setup.init(backend)
    assert _numbers_of(backend, first.instance_id) == {
        "candidate_member_id": member,
        "public_evaluator_count": 50,
    }
    found = audit.verify(backend, replay=False).findings
    assert [(f.table, f.instance_id, f.message) for f in found] == [
        ("start_number", first.instance_id, "is in the table, but no event made this row")
    ]
    with pytest.raises(RuleViolation, match=REFUSED.format(first.instance_id)):
        CreationWalk(backend, **AGAIN).start(post_title="政策宣讲示范岗")
    assert instance_count(backend) == before


def test_two_nominations_of_a_member_started_at_the_same_moment_leave_one_standing(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two secretaries nominate the same member at once, each start computed before either is
    written: the second to write finds the first (the member is locked while a start reads their
    standing, on PostgreSQL; SQLite's write turn orders them) and is refused; one case runs."""
    real = starts_ahead.StartsAhead.write
    together = threading.Barrier(2, timeout=60)

    def at_once(self: starts_ahead.StartsAhead) -> Any:
        together.wait()  # both computed, neither written
        return real(self)

    monkeypatch.setattr(starts_ahead.StartsAhead, "write", at_once)
    walks = [CreationWalk(backend), CreationWalk(backend, **AGAIN)]
    outcomes: list[Any] = [None, None]

    def start(index: int) -> None:
        try:
            outcomes[index] = walks[index].start(post_title=f"示范岗{index}")
        except Exception as exc:  # the assertion below says which
            outcomes[index] = exc

    threads = [threading.Thread(target=start, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    refused = [o for o in outcomes if isinstance(o, RuleViolation)]
    assert len(refused) == 1, outcomes
    assert instance_count(backend) == 1
    verified(backend)
