"""Published heads: the chain's head leaves the database, so that a rewrite of the whole database,
every hash recomputed, is still caught, and the register it changed is named (SQLite and
PostgreSQL). Business time never runs backwards along the chain."""

from __future__ import annotations

import datetime as dt
import json
import threading

import sqlalchemy as sa
from sqlalchemy.orm import Session
from support import GOOD, CreationWalk, actor, establish_post, rehash_chain_from

from xianfeng.engine.journal.capture import CHAINED_OPTION
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ChainHead, Event, ModelPost, ProcessInstance
from xianfeng.engine.process import history
from xianfeng.engine.services import audit, tasks, timers
from xianfeng.engine.services.audit import anchors


def _published(kernel: Kernel) -> list[anchors.Anchor]:
    return anchors.read(kernel.settings.resolved_anchors_file).anchors


def _events(kernel: Kernel) -> list[Event]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(Event).order_by(Event.seq)).scalars())


def _sql(kernel: Kernel, statement: sa.Executable) -> None:
    with kernel.db.engine.begin() as connection:
        connection.execute(statement.execution_options(**{CHAINED_OPTION: True}))


def test_the_ticker_publishes_the_head_first_daily_and_after_every_public_notice(backend: Kernel) -> None:
    first = timers.tick(backend).published
    assert first is not None and first.reason == "first"
    assert timers.tick(backend).published is None  # nothing new to publish
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()  # the evaluation passes: the 公示 goes up
    published = timers.tick(backend).published
    assert published is not None and published.reason == "notice"
    with backend.db.unit_of_work(write=False) as uow:
        root = history.root_of(history.heads(uow.session))
    assert published.seq == _events(backend)[-1].seq and published.hash == root
    assert published.heads[str(history.shard_of(walk.instance_id))][1] == _events(backend)[-1].hash
    assert set(published.tables) >= {"model_post", "human_task", "public_notice"}
    backend.clock.advance(days=1, seconds=1)  # type: ignore[attr-defined]
    daily = timers.tick(backend).published
    assert daily is not None and daily.reason == "daily"
    assert [a.reason for a in _published(backend)] == ["first", "notice", "daily"]
    assert audit.verify(backend, anchors=_published(backend)).ok


def test_a_rehashed_forgery_passes_the_chain_but_not_a_published_head_which_names_the_register(
    backend: Kernel,
) -> None:
    post_id = establish_post(backend)
    head = anchors.publish(backend, "test")
    assert head is not None
    _forge_plate(backend, post_id, "ZA-SFG-2026-9999")
    unanchored = audit.verify(backend)
    assert unanchored.ok, unanchored.problems  # a consistent rewrite of everything: nothing inside shows it
    problems = audit.verify(backend, anchors=[head]).problems
    assert any(f"published head {head.seq}" in p and "now has hash" in p for p in problems), problems
    assert any("different rows for model_post" in p for p in problems), problems


def test_a_head_published_then_cut_off_the_chain_is_reported(backend: Kernel) -> None:
    establish_post(backend)
    head = anchors.publish(backend, "test")
    assert head is not None
    with backend.db.unit_of_work(write=False) as uow:
        last = uow.session.get(Event, head.seq)
        assert last is not None
        shard, number = last.shard, last.shard_seq
    _sql(backend, sa.delete(Event).where(Event.seq == head.seq))
    problems = audit.verify(backend, anchors=[head], replay=False).problems
    published = f"published head {head.seq} (published {head.published_at})"
    gone = f"{published}: shard {shard}'s event {number} is gone"
    assert any(gone in p for p in problems), problems


def test_an_unreadable_line_of_the_anchors_file_is_a_problem_not_a_crash(kernel: Kernel) -> None:
    timers.tick(kernel)
    path = kernel.settings.resolved_anchors_file
    with path.open("a", encoding="utf-8") as out:
        out.write("{not json\n")
    found = anchors.read(path)
    assert len(found.anchors) == 1
    assert found.unreadable == [
        f"{path}:2: not a published head (Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1))"
    ]


def test_an_event_computed_before_a_later_one_was_appended_is_dated_at_the_head(kernel: Kernel) -> None:
    """The step keeps the time it ran at (replay uses it); the chain's dates never go back."""
    walk = CreationWalk(kernel)
    walk.start()
    latest = _events(kernel)[-1].business_time
    kernel.clock.set(latest - dt.timedelta(hours=2))  # type: ignore[attr-defined]
    walk.complete("member2", {"political": 5, "work": 5, "service": 4, "conduct": 5, "discipline": 5})
    event = _events(kernel)[-1]
    assert event.business_time == latest
    assert json.loads(event.payload)[history.STEPPED_AT] == (latest - dt.timedelta(hours=2)).astimezone(
        dt.UTC
    ).isoformat(timespec="microseconds")
    report = audit.verify(kernel)
    assert report.ok, report.problems


def test_an_event_dated_before_the_one_before_it_is_reported(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.complete("member2", {"political": 5, "work": 5, "service": 4, "conduct": 5, "discipline": 5})
    events = [e for e in _events(kernel) if e.instance_id == walk.instance_id]  # one shard's strand
    target = events[-1]
    earlier = events[-2].business_time - dt.timedelta(days=3)
    fields = {name: getattr(target, name) for name in history.HASHED_FIELDS}
    fields["business_time"] = earlier
    digest = history.event_hash(fields, target.prev_hash)
    _sql(kernel, sa.update(Event).where(Event.seq == target.seq).values(business_time=earlier, hash=digest))
    head = sa.update(ChainHead).where(ChainHead.shard == target.shard)
    _sql(kernel, head.values(hash=digest, business_time=earlier))
    _sql(
        kernel,
        sa.update(ProcessInstance).where(ProcessInstance.id == walk.instance_id).values(head_hash=digest),
    )
    problems = audit.verify(kernel, replay=False).problems
    assert any(f"event {target.seq}" in p and "business time never runs backwards" in p for p in problems)


def _forge_plate(kernel: Kernel, post_id: int, plate: str) -> None:
    """Change a post's plate number in the register and in the event that recorded it, then
    recompute every later hash and head: a consistent forgery."""
    target = next(e for e in _events(kernel) if '"model_post"' in e.changes)
    changes = json.loads(target.changes)
    for change in changes:
        if change["table"] == "model_post" and change["key"] == post_id:
            change["values"]["plate_no"] = plate
    _sql(kernel, sa.update(ModelPost).where(ModelPost.id == post_id).values(plate_no=plate))
    rehash_chain_from(kernel, target.seq, {"changes": history.canonical_json(changes)})


def test_a_notice_committed_after_a_higher_numbered_step_is_published_for(postgres_kernel: Kernel) -> None:
    """On PostgreSQL a step may commit after a step of another case that took a higher `seq`. A
    head published between the two commits holds the later-numbered step, not the notice the
    first one put up: the notice is still found, and published for, at the next round."""
    kernel = postgres_kernel
    walk = CreationWalk(kernel)
    other = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    walk.start()
    other.start()
    for username in walk.evaluators:
        walk.complete(username, dict(GOOD), "Task_member_evaluation")
    tokens = walk.public_tokens()
    for token in tokens[:-1]:
        tasks.complete_by_token(kernel, token, dict(GOOD))
    assert anchors.publish(kernel, "first") is not None
    held, release = threading.Event(), threading.Event()
    main = threading.current_thread().ident

    def hold(_session: object) -> None:
        if threading.current_thread().ident != main and not held.is_set():
            held.set()
            assert release.wait(30)

    errors: list[BaseException] = []

    def last_answer() -> None:  # the evaluation passes and the notice goes up, committed late
        try:
            tasks.complete_by_token(kernel, tokens[-1], dict(GOOD))
        except BaseException as error:  # reported by the test's thread
            errors.append(error)

    sa.event.listen(Session, "before_commit", hold)
    try:
        worker = threading.Thread(target=last_answer)
        worker.start()
        assert held.wait(30)
        other.complete("member6", dict(GOOD), "Task_member_evaluation")
        between = anchors.publish(kernel, "daily")  # a head without the notice
        release.set()
        worker.join(30)
    finally:
        release.set()
        sa.event.remove(Session, "before_commit", hold)
    assert not errors, errors
    notice = next(e for e in _events(kernel) if anchors.NOTICE_PUT_UP in e.changes)
    assert between is not None and notice.seq < between.seq  # numbered before that head, not in it
    published = anchors.publish_due(kernel, kernel.clock.now())
    assert published is not None and published.reason == "notice"
    assert audit.verify(kernel, anchors=_published(kernel)).ok


def test_verify_since_the_last_head_replays_the_cases_that_moved_and_still_walks_the_whole_chain(
    backend: Kernel,
) -> None:
    quiet = CreationWalk(backend, candidate="member1", evaluators=("member2", "member3", "member4"))
    quiet.start()
    head = anchors.publish(backend, "test")
    assert head is not None
    moving = CreationWalk(backend, candidate="member5", evaluators=("member6", "member7", "member8"))
    moving.start()
    quiet_done = quiet.task_of("member2", "Task_member_evaluation")
    report = audit.verify(backend, since=head)
    assert report.ok, report.problems
    assert set(report.cases) == {moving.instance_id} and report.instances == 1
    assert (report.since, report.not_replayed) == (f"{head.seq}:{head.hash}", 1)
    assert set(audit.verify(backend).cases) == {quiet.instance_id, moving.instance_id}  # without it: all

    # A case that moved after the head is replayed again: an evaluation of the quiet one now is too.
    tasks.complete(backend, actor(backend, "member2"), quiet_done.id, dict(GOOD))
    assert set(audit.verify(backend, since=head).cases) == {quiet.instance_id, moving.instance_id}

    # What came before the head is still walked: an edit there is reported.
    first = _events(backend)[0]
    _sql(backend, sa.update(Event).where(Event.seq == first.seq).values(actor="someone-else"))
    problems = audit.verify(backend, since=head).problems
    assert any(f"event {first.seq}" in p and "row edited" in p for p in problems), problems
