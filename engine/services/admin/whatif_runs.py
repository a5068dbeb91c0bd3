"""A what-if in the background, with progress, for the browser.

Measured (bench/whatif_bench.py): a what-if costs tens of milliseconds per case, so a town's
thousand finished cases take longer than a request should wait. A run is therefore a thread in the
server process that started it, writing its progress and, at the end, its report to a small JSON
file under the data directory (no table: a what-if writes nothing anyone relies on, and its result
is only true of the draft and the cases as they were then). Any server process reads the file, so
a page polled through another worker still sees the run. A thread dies with its process: a run
whose file has not moved for `STALE_AFTER` reads as interrupted instead of running forever.

Who: whoever may read the procedures' versions (administrators, the committee, auditors). A run's
name is random, so one reader cannot guess another's run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ...actor import Actor
from ...errors import NotFound, XianfengError
from ...kernel import Kernel
from . import processes, whatif

STALE_AFTER = dt.timedelta(seconds=60)
_FOLDER = "whatif-runs"
_NAME_LENGTH = 16
_threads: dict[str, threading.Thread] = {}


@dataclass
class WhatIfRun:
    id: str
    draft_id: int
    requested_by: str
    finished_since: str | None  # ISO date, or None: every finished case
    status: str  # running / done / failed / interrupted
    done: int = 0
    total: int = 0
    started_at: str = ""
    finished_at: str | None = None
    seconds: float | None = None
    error: str = ""
    affected: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    cases: list[dict[str, Any]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "interrupted")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def _folder(kernel: Kernel) -> Path:
    folder = Path(kernel.settings.data_dir) / _FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(kernel: Kernel, run_id: str) -> Path:
    if len(run_id) != _NAME_LENGTH or not all(c in "0123456789abcdef" for c in run_id):
        raise NotFound(f"no what-if run {run_id!r}", run_id=run_id)
    return _folder(kernel) / f"{run_id}.json"


def _write(kernel: Kernel, run: WhatIfRun) -> None:
    """Replace the run's file in one step, so that a reader never sees half of it."""
    path = _path(kernel, run.id)
    partial = path.with_suffix(f".{threading.get_ident()}.tmp")
    partial.write_text(json.dumps(asdict(run), ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def start(kernel: Kernel, actor: Actor, draft_id: int, finished_since: dt.datetime | None = None) -> str:
    """Start the what-if of a draft in the background; the run's name."""
    processes.draft(kernel, actor, draft_id)  # refuses a reader who may not, or a draft that is not there
    run = WhatIfRun(
        id=secrets.token_hex(_NAME_LENGTH // 2),
        draft_id=draft_id,
        requested_by=actor.username,
        finished_since=finished_since.date().isoformat() if finished_since else None,
        status="running",
        started_at=kernel.clock.now().isoformat(),
    )
    _write(kernel, run)
    thread = threading.Thread(
        target=_execute, args=(kernel, actor, run, finished_since), name=f"whatif-{run.id}", daemon=True
    )
    _threads[run.id] = thread
    thread.start()
    return run.id


def _execute(kernel: Kernel, actor: Actor, run: WhatIfRun, finished_since: dt.datetime | None) -> None:
    began = time.monotonic()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        run.done, run.total = done, total
        if time.monotonic() - last[0] >= 0.5:  # at most two writes a second
            last[0] = time.monotonic()
            _write(kernel, run)

    try:
        report = whatif.for_draft(kernel, actor, run.draft_id, finished_since, progress)
        run.affected, run.counts = report.affected, report.counts()
        run.cases = [asdict(case) for case in report.cases]
        run.status = "done"
    except XianfengError as refused:
        run.status, run.error = "failed", refused.message
    except Exception as exc:  # a run must end with its reason on the page, whatever went wrong
        run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"[:1000]
    run.seconds = round(time.monotonic() - began, 2)
    run.finished_at = kernel.clock.now().isoformat()
    _write(kernel, run)


def get(kernel: Kernel, actor: Actor, run_id: str) -> WhatIfRun:
    processes.check_reader(actor)
    path = _path(kernel, run_id)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        moved = path.stat().st_mtime
    except FileNotFoundError:
        raise NotFound(f"no what-if run {run_id!r}", run_id=run_id) from None
    run = WhatIfRun(**stored)
    if run.status == "running" and time.time() - moved > STALE_AFTER.total_seconds():
        run.status = "interrupted"
    return run


def wait(run_id: str, timeout: float = 120.0) -> bool:
    """Wait for a run started in this process to end (tests and the command line)."""
    thread = _threads.get(run_id)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()
