"""The background side of a verify run: a thread that runs `verify` and writes its progress and
report into the run's row.

The thread opens its own units of work (a request's session is never shared with it; the kernel,
its engine and its catalog are made for threads). Progress is counted in memory by verify's
callback, called once per event, and written by a second, small thread at most twice a second,
and every few seconds even when nothing moved (while the tables are compared, say): a row that
stops moving for a minute belongs to a process that died (`verify_runs.STALE_AFTER`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from sqlalchemy import update

from ...kernel import Kernel
from ...models import VerifyRun
from .verify import verify
from .verify_report import build

log = logging.getLogger("xianfeng.verify_runs")
WRITE_EVERY = 0.5  # seconds between progress writes, at most
KEEP_ALIVE = 5.0  # seconds between writes when no event was counted

_threads: dict[int, threading.Thread] = {}
_threads_lock = threading.Lock()


def launch(kernel: Kernel, run_id: int) -> None:
    thread = threading.Thread(target=execute, args=(kernel, run_id), name=f"verify-run-{run_id}", daemon=True)
    with _threads_lock:
        _threads[run_id] = thread
    thread.start()


def join(run_id: int, timeout: float) -> bool:
    with _threads_lock:
        thread = _threads.get(run_id)
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


class Progress:
    """Events counted by verify's callback, written to the row by a thread of its own."""

    def __init__(self, kernel: Kernel, run_id: int, total: int, chain_events: int) -> None:
        self.kernel = kernel
        self.run_id = run_id
        self.total = total
        self.chain_events = chain_events
        self.done = 0
        self.began = time.monotonic()
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._loop, name=f"verify-run-{run_id}-progress", daemon=True)

    def advance(self, events: int) -> None:
        self.done += events  # only verify's thread adds; the writer reads a whole int

    def start(self) -> None:
        self._writer.start()

    def stop(self) -> None:
        self._stop.set()
        self._writer.join()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.began

    def _loop(self) -> None:
        written, last = -1, 0.0
        while not self._stop.wait(WRITE_EVERY):
            done = self.done
            if done == written and time.monotonic() - last < KEEP_ALIVE:
                continue
            try:
                self.flush(done)
            except Exception:  # a busy or lost database: the next round tries again
                log.warning("verify run %s: progress not written", self.run_id, exc_info=True)
                continue
            written, last = done, time.monotonic()

    def flush(self, done: int | None = None) -> None:
        """Write the count now (the loop calls it; so may whoever needs the row current)."""
        done = self.done if done is None else done
        self.total = max(self.total, done)
        progress = {"progress": {"chain_events": self.chain_events, "seconds": round(self.seconds, 3)}}
        _update(
            self.kernel,
            self.run_id,
            events_done=done,
            events_total=self.total,
            report=json.dumps(progress),
        )


def execute(kernel: Kernel, run_id: int) -> None:
    """Run verify for the run's scope and store its report; every failure is stored, never raised."""
    try:
        _execute(kernel, run_id)
    except Exception:
        log.exception("verify run %s could not be run", run_id)
    finally:
        with _threads_lock:  # only now: whoever joins the run finds its row final
            _threads.pop(run_id, None)


def _execute(kernel: Kernel, run_id: int) -> None:
    scope, total, chain_events = _begin(kernel, run_id)
    progress = Progress(kernel, run_id, total, chain_events)
    progress.start()
    try:
        found = verify(kernel, progress=progress.advance, instances=scope)
        report = build(kernel, found, scope, progress.seconds)
    except Exception as exc:
        progress.stop()
        log.exception("verify run %s failed", run_id)
        _end(kernel, run_id, status="failed", error=f"{type(exc).__name__}: {exc}"[:2000], done=progress.done)
        return
    progress.stop()
    _end(
        kernel,
        run_id,
        status="done",
        done=progress.done,
        ok=found.ok,
        head_seq=found.head_seq,
        head_hash=found.head_hash,
        report=json.dumps(report, ensure_ascii=False),
    )


def _begin(kernel: Kernel, run_id: int) -> tuple[list[int] | None, int, int]:
    with kernel.db.unit_of_work() as uow:
        row = uow.session.get(VerifyRun, run_id)
        if row is None:
            raise LookupError(f"no verify run {run_id}")
        row.status = "running"
        row.updated_at = kernel.clock.now()
        scope = json.loads(row.scope or "null")
        stored = json.loads(row.report or "{}")
        chain_events = int((stored.get("progress") or {}).get("chain_events") or row.events_total)
        total = row.events_total
        uow.commit()
    return scope, total, chain_events


def _end(kernel: Kernel, run_id: int, status: str, done: int, **values: Any) -> None:
    now = kernel.clock.now()
    with kernel.db.unit_of_work() as uow:
        row = uow.session.get(VerifyRun, run_id)
        if row is None:
            return
        row.status = status
        row.events_done = done
        row.events_total = max(row.events_total, done)
        row.updated_at = row.finished_at = now
        for name, value in values.items():
            setattr(row, name, value)
        uow.commit()


def _update(kernel: Kernel, run_id: int, **values: Any) -> None:
    with kernel.db.unit_of_work() as uow:
        uow.session.execute(
            update(VerifyRun)
            .where(VerifyRun.id == run_id, VerifyRun.status == "running")
            .values(updated_at=kernel.clock.now(), **values)
        )
        uow.commit()
