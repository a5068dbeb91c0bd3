"""Replaying many instances at once: one forked worker process per core.

A replayed step is Python work on one core, and instances replay independently, so `verify` hands
instances to worker processes. The parent checks and parses every pinned version first and then
forks: the workers inherit the parsed diagrams (none parses one again) and each opens its own
database connection (a connection must not cross a fork). Instances go out in chunks, largest
first, so that the workers finish together; progress is counted in events as chunks come back.

Small inputs, one core, or a platform without fork replay in this process: forking costs more
than it saves below a few hundred events.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import case, func, select

from ...db import Database
from ...kernel import Kernel
from ...models import Event, ProcessInstance, ReplayCheckpoint
from .pinned import PinnedVersions
from .replay import Replayed, replay_case

Progress = Callable[[int], None]
PARALLEL_MIN_EVENTS = 400  # below this the fork and the connections cost more than they save
CHUNKS_PER_WORKER = 8  # enough chunks that a worker left with a long instance does not hold up the end


def replay_instances(
    kernel: Kernel,
    instance_ids: Iterable[int],
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict[int, list[str]]:
    """Replay each instance from its first event; its problems by instance id (an empty list: it
    replays as stored).

    `workers`: worker processes; None picks one per core and replays small inputs in this
    process. `progress` is called with the number of events each time a batch of them is done.
    """
    replayed = replay_cases(kernel, instance_ids, progress, workers)
    return {instance_id: found.problems for instance_id, found in replayed.items()}


def replay_cases(
    kernel: Kernel,
    instance_ids: Iterable[int],
    progress: Progress | None = None,
    workers: int | None = None,
    key: bytes | None = None,
    trust: bool = True,
) -> dict[int, Replayed]:
    """`replay_instances`, each case's whole answer. With `key`: the checkpoints to keep, and
    (unless `trust` is False) each replay starting at its case's trusted checkpoint."""
    return start_replay(kernel, instance_ids, progress, workers, key, trust).result()


class PendingReplay:
    """A replay under way in worker processes, or, for small inputs, one that runs in this
    process when its result is asked for. `verify` starts it before walking the chain, so that
    the workers replay while this process checks the chain and the tables."""

    def __init__(self, answer: Callable[[], dict[int, Replayed]], pool: ProcessPoolExecutor | None) -> None:
        self._answer, self._pool = answer, pool

    def result(self) -> dict[int, Replayed]:
        try:
            return self._answer()
        finally:
            self.close()

    def close(self) -> None:
        """Stop what has not started (after an error in this process) and end the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def start_replay(
    kernel: Kernel,
    instance_ids: Iterable[int],
    progress: Progress | None = None,
    workers: int | None = None,
    key: bytes | None = None,
    trust: bool = True,
) -> PendingReplay:
    """`replay_cases`, begun: the workers are forked and given their chunks before this returns."""
    ids = list(dict.fromkeys(instance_ids))
    versions = PinnedVersions(kernel)
    sizes, after = _prepare(kernel, ids, versions)
    work = _work(after) if key is not None and trust else sizes
    count = _worker_count(workers, work)
    if count <= 1:
        return PendingReplay(lambda: _in_process(kernel, ids, sizes, versions, progress, (key, trust)), None)
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        count, mp_context=context, initializer=_start_worker, initargs=(kernel, versions, key, trust)
    )
    pending = {pool.submit(_replay_chunk, chunk): chunk for chunk in _chunks(ids, work, count)}

    def answer() -> dict[int, Replayed]:
        found = _collected(pending, sizes, progress)
        return {instance_id: found[instance_id] for instance_id in ids}

    return PendingReplay(answer, pool)


def _prepare(
    kernel: Kernel, ids: list[int], versions: PinnedVersions
) -> tuple[dict[int, int], dict[int, int]]:
    """Events per instance, and those after its checkpoint (all of them without one), counted in
    one pass over the log; and every pinned version checked and parsed before any fork."""
    after_checkpoint = case(
        (Event.instance_version > func.coalesce(ReplayCheckpoint.instance_version, 0), 1), else_=0
    )
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        counted = session.execute(
            select(Event.instance_id, func.count(), func.sum(after_checkpoint))
            .outerjoin(ReplayCheckpoint, ReplayCheckpoint.instance_id == Event.instance_id)
            .where(Event.instance_id.is_not(None))
            .group_by(Event.instance_id)
        ).all()
        pinned = session.execute(select(ProcessInstance.process_version_id).distinct()).scalars().all()
        for version_id in pinned:
            versions.get(session, version_id)
    sizes = {instance_id: int(n) for instance_id, n, _after in counted}
    after = {instance_id: int(later or 0) for instance_id, _n, later in counted}
    return {i: sizes.get(i, 0) for i in ids}, {i: after.get(i, 0) for i in ids}


def _work(after: dict[int, int]) -> dict[int, int]:
    """What replaying each case should cost, in events: those after its checkpoint, plus one for
    reading and checking it. Chunks are weighed by this, so that the few cases with new events do
    not all fall to one worker."""
    return {instance_id: 1 + later for instance_id, later in after.items()}


def _worker_count(workers: int | None, sizes: dict[int, int]) -> int:
    if len(sizes) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if workers is None:
        if sum(sizes.values()) < PARALLEL_MIN_EVENTS:
            return 1
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(workers, len(sizes)))


def _in_process(
    kernel: Kernel,
    ids: list[int],
    sizes: dict[int, int],
    versions: PinnedVersions,
    progress: Progress | None,
    sealing: tuple[bytes | None, bool],
) -> dict[int, Replayed]:
    found: dict[int, Replayed] = {}
    for instance_id in ids:
        found[instance_id] = _replay_read(kernel, instance_id, versions, *sealing)
        if progress is not None:
            progress(sizes[instance_id])
    return found


def _replay_read(
    kernel: Kernel, instance_id: int, versions: PinnedVersions, key: bytes | None = None, trust: bool = True
) -> Replayed:
    """One instance in its own read transaction, reading the instance and its events at one
    moment: a database error on one leaves the next unharmed."""
    try:
        with kernel.db.unit_of_work(write=False, snapshot=True) as uow:
            return replay_case(uow.session, kernel, instance_id, versions, key, trust)
    except Exception as exc:  # the database itself failed us: still a problem to report, not a stop
        return Replayed([f"instance {instance_id}: cannot be read: {type(exc).__name__}: {exc}"])


def _chunks(ids: list[int], sizes: dict[int, int], workers: int) -> list[list[int]]:
    """Instances grouped into about `workers * CHUNKS_PER_WORKER` chunks of similar event counts,
    the chunks holding the longest instances first."""
    target = max(1, sum(sizes.values()) // (workers * CHUNKS_PER_WORKER))
    chunks: list[list[int]] = []
    current: list[int] = []
    weight = 0
    for instance_id in sorted(ids, key=lambda i: -sizes[i]):
        current.append(instance_id)
        weight += sizes[instance_id]
        if weight >= target:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


# What a worker inherits from the parent at fork and uses for its whole life.
_worker: dict[str, Any] = {}


def _collected(
    pending: dict[Future[list[tuple[int, Replayed]]], list[int]],
    sizes: dict[int, int],
    progress: Progress | None,
) -> dict[int, Replayed]:
    found: dict[int, Replayed] = {}
    for future in as_completed(pending):
        chunk = pending[future]
        found.update(_results(future, chunk))
        if progress is not None:
            progress(sum(sizes[i] for i in chunk))
    return found


def _results(future: Future[list[tuple[int, Replayed]]], chunk: list[int]) -> dict[int, Replayed]:
    try:
        return dict(future.result())
    except BrokenProcessPool as exc:
        why = f"the replay worker process died ({exc})"
    except Exception as exc:  # anything a worker could not put into its answer
        why = f"the replay worker failed: {type(exc).__name__}: {exc}"
    return {instance_id: Replayed([f"instance {instance_id}: not replayed: {why}"]) for instance_id in chunk}


def _start_worker(kernel: Kernel, versions: PinnedVersions, key: bytes | None, trust: bool) -> None:
    """In the forked worker: its own database connections, the parent's parsed versions."""
    kernel.db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    db = Database(kernel.db.url, kernel.settings.sqlite_synchronous)
    worker_kernel = dataclasses.replace(kernel, db=db)
    versions.kernel = worker_kernel
    _worker.update(kernel=worker_kernel, versions=versions, sealing=(key, trust))


def _replay_chunk(chunk: list[int]) -> list[tuple[int, Replayed]]:
    kernel, versions, sealing = _worker["kernel"], _worker["versions"], _worker["sealing"]
    return [(instance_id, _replay_read(kernel, instance_id, versions, *sealing)) for instance_id in chunk]
