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

from sqlalchemy import func, select

from ...db import Database
from ...kernel import Kernel
from ...models import Event, ProcessInstance
from .pinned import PinnedVersions
from .replay import consistent_read, replay_instance

Progress = Callable[[int], None]
PARALLEL_MIN_EVENTS = 400  # below this the fork and the connections cost more than they save
CHUNKS_PER_WORKER = 8  # enough chunks that a worker left with a long instance does not hold up the end


def replay_instances(
    kernel: Kernel,
    instance_ids: Iterable[int],
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict[int, list[str]]:
    """Replay each instance; its problems by instance id (an empty list: it replays as stored).

    `workers`: worker processes; None picks one per core and replays small inputs in this
    process. `progress` is called with the number of events each time a batch of them is done.
    """
    ids = list(dict.fromkeys(instance_ids))
    versions = PinnedVersions(kernel)
    sizes = _prepare(kernel, ids, versions)
    count = _worker_count(workers, sizes)
    if count <= 1:
        return _in_process(kernel, ids, sizes, versions, progress)
    problems = _in_workers(kernel, _chunks(ids, sizes, count), sizes, versions, count, progress)
    return {instance_id: problems[instance_id] for instance_id in ids}


def _prepare(kernel: Kernel, ids: list[int], versions: PinnedVersions) -> dict[int, int]:
    """Events per instance, and every pinned version checked and parsed before any fork."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        counted = session.execute(
            select(Event.instance_id, func.count())
            .where(Event.instance_id.is_not(None))
            .group_by(Event.instance_id)
        ).all()
        sizes = {instance_id: int(n) for instance_id, n in counted}
        pinned = session.execute(select(ProcessInstance.process_version_id).distinct()).scalars().all()
        for version_id in pinned:
            versions.get(session, version_id)
    return {instance_id: sizes.get(instance_id, 0) for instance_id in ids}


def _worker_count(workers: int | None, sizes: dict[int, int]) -> int:
    if len(sizes) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if workers is None:
        if sum(sizes.values()) < PARALLEL_MIN_EVENTS:
            return 1
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(workers, len(sizes)))


def _in_process(
    kernel: Kernel, ids: list[int], sizes: dict[int, int], versions: PinnedVersions, progress: Progress | None
) -> dict[int, list[str]]:
    problems: dict[int, list[str]] = {}
    for instance_id in ids:
        problems[instance_id] = _replay_read(kernel, instance_id, versions)
        if progress is not None:
            progress(sizes[instance_id])
    return problems


def _replay_read(kernel: Kernel, instance_id: int, versions: PinnedVersions) -> list[str]:
    """One instance in its own read transaction: a database error on one leaves the next unharmed."""
    try:
        with kernel.db.unit_of_work(write=False) as uow:
            consistent_read(uow.session)
            return replay_instance(uow.session, kernel, instance_id, versions)
    except Exception as exc:  # the database itself failed us: still a problem to report, not a stop
        return [f"instance {instance_id}: cannot be read: {type(exc).__name__}: {exc}"]


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


def _in_workers(
    kernel: Kernel,
    chunks: list[list[int]],
    sizes: dict[int, int],
    versions: PinnedVersions,
    count: int,
    progress: Progress | None,
) -> dict[int, list[str]]:
    problems: dict[int, list[str]] = {}
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        count, mp_context=context, initializer=_start_worker, initargs=(kernel, versions)
    ) as pool:
        pending: dict[Future[list[tuple[int, list[str]]]], list[int]] = {
            pool.submit(_replay_chunk, chunk): chunk for chunk in chunks
        }
        for future in as_completed(pending):
            chunk = pending[future]
            problems.update(_results(future, chunk))
            if progress is not None:
                progress(sum(sizes[i] for i in chunk))
    return problems


def _results(future: Future[list[tuple[int, list[str]]]], chunk: list[int]) -> dict[int, list[str]]:
    try:
        return dict(future.result())
    except BrokenProcessPool as exc:
        why = f"the replay worker process died ({exc})"
    except Exception as exc:  # anything a worker could not put into its answer
        why = f"the replay worker failed: {type(exc).__name__}: {exc}"
    return {instance_id: [f"instance {instance_id}: not replayed: {why}"] for instance_id in chunk}


def _start_worker(kernel: Kernel, versions: PinnedVersions) -> None:
    """In the forked worker: its own database connections, the parent's parsed versions."""
    kernel.db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    db = Database(kernel.db.url, kernel.settings.sqlite_synchronous)
    worker_kernel = dataclasses.replace(kernel, db=db)
    versions.kernel = worker_kernel
    _worker.update(kernel=worker_kernel, versions=versions)


def _replay_chunk(chunk: list[int]) -> list[tuple[int, list[str]]]:
    kernel, versions = _worker["kernel"], _worker["versions"]
    return [(instance_id, _replay_read(kernel, instance_id, versions)) for instance_id in chunk]
