"""Replay in worker processes finds exactly what replay in one process finds, on both databases."""

from __future__ import annotations

import importlib
import multiprocessing

import pytest
import sqlalchemy as sa
from support import GOOD, CreationWalk
from tamper_support import tamper

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event
from xianfeng.engine.services import audit
from xianfeng.engine.services.audit import parallel
from xianfeng.engine.services.audit.parallel import replay_instances
from xianfeng.engine.services.audit.pinned import PinnedVersions


@pytest.fixture
def three(backend: Kernel) -> list[CreationWalk]:
    """Three nominations at different stages."""
    first = CreationWalk(backend)
    first.start()
    first.evaluate()
    first.pass_notice()
    second = CreationWalk(backend, candidate="member5", evaluators=("member6", "member7", "member8"))
    second.start()
    second.evaluate()
    third = CreationWalk(backend, candidate="member9", evaluators=("member2", "member3", "member4"))
    third.start()
    return [first, second, third]


def event_count(kernel: Kernel, instance_ids: list[int]) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        query = sa.select(sa.func.count()).select_from(Event).where(Event.instance_id.in_(instance_ids))
        return int(uow.session.execute(query).scalar_one())


def test_workers_replay_every_instance_clean_and_count_every_event(three: list[CreationWalk]) -> None:
    kernel = three[0].kernel
    ids = [walk.instance_id for walk in three]
    counted: list[int] = []
    problems = replay_instances(kernel, ids, progress=counted.append, workers=2)
    assert problems == {instance_id: [] for instance_id in ids}
    assert list(problems) == ids  # in the order asked, whichever worker finished first
    assert sum(counted) == event_count(kernel, ids)


def test_workers_report_what_one_process_reports(three: list[CreationWalk]) -> None:
    kernel = three[0].kernel
    first, second, third = (walk.instance_id for walk in three)
    tamper(kernel, "UPDATE process_instance SET state_json = 'x' WHERE id = :id", id=first)
    tamper(kernel, "UPDATE process_instance SET process_version_id = 9999 WHERE id = :id", id=second)
    ids = [first, second, third]
    in_workers = replay_instances(kernel, ids, workers=2)
    assert in_workers == replay_instances(kernel, ids, workers=1)
    assert in_workers[first] == [
        f"instance {first}: the stored snapshot is not JSON (nor the state its events replay to)"
    ]
    assert "its process version 9999 does not exist" in in_workers[second][0]
    assert in_workers[third] == []


def test_cases_are_weighed_by_the_events_after_their_checkpoints(three: list[CreationWalk]) -> None:
    """So the few cases that moved since the last verify are spread over the workers."""
    kernel = three[0].kernel
    ids = [walk.instance_id for walk in three]

    def work() -> dict[int, int]:
        return parallel._work(parallel._prepare(kernel, ids, PinnedVersions(kernel))[1])

    before = work()
    assert [before[i] for i in ids] == [1 + event_count(kernel, [i]) for i in ids]  # no checkpoint yet
    assert audit.verify(kernel).ok
    three[2].complete("member2", dict(GOOD), "Task_member_evaluation")
    assert work() == {ids[0]: 1, ids[1]: 1, ids[2]: 2}


def test_a_verify_stopped_while_its_workers_replay_leaves_no_worker_behind(
    three: list[CreationWalk], monkeypatch: pytest.MonkeyPatch
) -> None:
    kernel = three[0].kernel
    verifying = importlib.import_module("xianfeng.engine.services.audit.verify")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_EVENTS", 1)  # workers even for three small cases

    def broken(*_args: object) -> None:
        assert multiprocessing.active_children(), "the workers replay while the chain is walked"
        raise RuntimeError("the chain walk failed")

    monkeypatch.setattr(verifying, "_check_chain_and_tables", broken)
    with pytest.raises(RuntimeError, match="the chain walk failed"):
        audit.verify(kernel)
    assert multiprocessing.active_children() == []
