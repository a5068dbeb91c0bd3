"""The event log auditors trust (R13): hash chain and replay, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json

import pytest
import sqlalchemy as sa
from support import CreationWalk, rehash_chain_from

from xianfeng.engine.journal.capture import CHAINED_OPTION
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, ProcessInstance
from xianfeng.engine.process import history
from xianfeng.engine.services import audit


@pytest.fixture
def finished(backend: Kernel) -> CreationWalk:
    """Two instances: one established after a return, one still running."""
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    walk.decide("return")
    walk.determine()
    walk.decide("approve")
    CreationWalk(backend, candidate="member5", evaluators=("member6", "member7", "member8")).start()
    return walk


def _sql(kernel: Kernel, statement: sa.Executable) -> None:
    """Change the database behind the system's back, as someone with the database file would."""
    with kernel.db.engine.begin() as connection:
        connection.execute(statement.execution_options(**{CHAINED_OPTION: True}))


def _events(kernel: Kernel) -> list[Event]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(Event).order_by(Event.seq)).scalars())


def test_replay_of_every_instance_reproduces_the_stored_state(finished: CreationWalk) -> None:
    report = audit.verify(finished.kernel)
    assert report.ok, report.problems
    assert report.instances == 2
    events = _events(finished.kernel)
    assert report.events == len(events)
    assert report.head_seq == max(e.seq for e in events)  # PostgreSQL's seq may leave gaps


def test_each_event_links_to_the_one_before_in_its_shard(finished: CreationWalk) -> None:
    events = _events(finished.kernel)
    shards = {e.shard for e in events}
    assert len(shards) > 1  # the cases and what happens outside them append to different shards
    for shard in shards:
        strand = [e for e in events if e.shard == shard]
        assert strand[0].prev_hash == history.GENESIS_HASH
        assert [e.shard_seq for e in strand] == list(range(1, len(strand) + 1))
        assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(strand))
        assert all(e.shard == history.shard_of(e.instance_id) for e in strand)


def test_editing_an_event_is_detected(finished: CreationWalk) -> None:
    kernel = finished.kernel
    target = next(e for e in _events(kernel) if e.spec_id == "Task_committee_decision")
    forged = json.loads(target.payload)
    forged["data"]["opinion"] = "（篡改）"
    _sql(kernel, sa.update(Event).where(Event.seq == target.seq).values(payload=json.dumps(forged)))
    report = audit.verify(kernel)
    assert not report.ok
    assert any(f"event {target.seq}" in p and "row edited" in p for p in report.problems), report.problems


def test_deleting_an_event_in_the_middle_is_detected(finished: CreationWalk) -> None:
    kernel = finished.kernel
    case = [e for e in _events(kernel) if e.instance_id == finished.instance_id]
    victim = case[4]
    _sql(kernel, sa.delete(Event).where(Event.seq == victim.seq))
    problems = audit.verify(kernel).problems
    jump = f"shard {victim.shard}: numbering jumps from {victim.shard_seq - 1} to {victim.shard_seq + 1}"
    assert any(jump in p for p in problems), problems
    assert any("does not link" in p for p in problems)


def test_deleting_the_newest_events_is_detected(finished: CreationWalk) -> None:
    kernel = finished.kernel
    last = _events(kernel)[-1]
    _sql(kernel, sa.delete(Event).where(Event.seq == last.seq))
    problems = audit.verify(kernel).problems
    assert any(f"head of shard {last.shard}" in p and "rows removed at the end" in p for p in problems), (
        problems
    )
    assert any(f"instance {last.instance_id}" in p and "the log has" in p for p in problems), problems


def test_reordering_events_is_detected(finished: CreationWalk) -> None:
    kernel = finished.kernel
    first, second = _events(kernel)[2:4]
    _sql(kernel, sa.update(Event).where(Event.seq == first.seq).values(seq=-1))
    _sql(kernel, sa.update(Event).where(Event.seq == second.seq).values(seq=first.seq))
    _sql(kernel, sa.update(Event).where(Event.seq == -1).values(seq=second.seq))
    problems = audit.verify(kernel).problems
    assert any(f"event {first.seq}" in p and ("does not link" in p or "row edited" in p) for p in problems), (
        problems
    )


def test_inserting_a_forged_event_is_detected(finished: CreationWalk) -> None:
    kernel = finished.kernel
    last = _events(kernel)[-1]
    forged = {c.name: getattr(last, c.name) for c in Event.__table__.columns}
    forged.update(
        seq=last.seq + 1,
        shard_seq=last.shard_seq + 1,
        instance_version=last.instance_version + 1,
        prev_hash=last.hash,
        hash="f" * 64,
        kind="complete",
        payload='{"data":{}}',
    )
    _sql(kernel, sa.insert(Event).values(**forged))
    problems = audit.verify(kernel).problems
    assert any(f"event {last.seq + 1}" in p and "row edited" in p for p in problems), problems
    assert any(f"head of shard {last.shard}" in p for p in problems), problems


def test_a_consistently_rehashed_forgery_fails_replay(finished: CreationWalk) -> None:
    """Someone who rewrites an input AND recomputes the chain still cannot fake the replay."""
    kernel = finished.kernel
    events = _events(kernel)
    target = next(e for e in events if e.spec_id == "Task_consent")
    payload = json.loads(target.payload)
    payload["data"]["pledge"] = "篡改后的承诺内容，与原始记录不同。"
    rehash_chain_from(kernel, target.seq, {"payload": json.dumps(payload, ensure_ascii=False)})
    report = audit.verify(kernel)
    assert not any("row edited" in p or "does not link" in p for p in report.problems), report.problems
    assert any(f"event {target.seq}" in p and "differs from the logged" in p for p in report.problems), (
        report.problems
    )


def test_a_published_anchor_catches_a_rewritten_chain(finished: CreationWalk) -> None:
    kernel = finished.kernel
    events = _events(kernel)
    target = next(e for e in events if '"data":{' in e.payload)
    last = [e for e in events if e.shard == target.shard][-1]  # the head of the shard to be rewritten
    anchor = (last.seq, last.hash)
    assert audit.verify(kernel, anchor=anchor, replay=False).ok
    rehash_chain_from(
        kernel, target.seq, {"payload": target.payload.replace('"data":{', '"data":{"x":1,', 1)}
    )
    problems = audit.verify(kernel, anchor=anchor, replay=False).problems
    assert any(p.startswith(f"anchor: event {anchor[0]} now has hash") for p in problems), problems


def test_editing_a_snapshot_is_detected_by_replay(finished: CreationWalk) -> None:
    kernel = finished.kernel
    with kernel.db.unit_of_work(write=False) as uow:
        instance = uow.session.get(ProcessInstance, finished.instance_id)
        assert instance is not None
        state = instance.state_json
    _sql(
        kernel,
        sa.update(ProcessInstance)
        .where(ProcessInstance.id == finished.instance_id)
        .values(state_json=state.replace("便民服务示范岗", "别的岗位")),
    )
    problems = audit.verify(kernel).problems
    assert problems == [
        f"instance {finished.instance_id}: the stored snapshot differs from the state its events replay to"
    ]
