"""A verify run as a reader sees it: its status (a run whose row stopped moving reads as
interrupted), its progress and speed, and its report filtered to the reader's branch.

While a run goes, the row's `report` column holds its progress (`{"progress": {"chain_events",
"seconds"}}`: the events of the chain walk, and the time spent so far, measured by the job); when it is
done, the report itself.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from ...kernel import Kernel
from ...models import VerifyRun
from .verify_report import visible_to

STALE_AFTER = dt.timedelta(seconds=60)
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class RunView:
    """A run as its reader may see it; `report` is filtered to the reader's branch (`branch_only`)."""

    id: int
    requested_by: int | None
    requester: str
    scope: list[int] | None  # None: the whole chain
    status: str  # queued / running / done / failed / interrupted (a run whose process died)
    events_total: int
    events_done: int
    started_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None
    ok: bool | None
    head_seq: int | None
    head_hash: str
    error: str
    seconds: float | None  # time spent so far (running) or in all (done)
    events_per_second: float | None
    report: dict[str, Any] | None
    branch_only: int | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "interrupted")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.events_done / self.events_total) if self.events_total else 0

    @property
    def phase(self) -> str:
        """What a running job does now: walking the chain, or (past its events) comparing the
        tables and replaying the cases."""
        if self.status not in ACTIVE:
            return ""
        return "replay" if self.events_done >= self.chain_events else "chain"

    @property
    def chain_events(self) -> int:
        progress = (self.report or {}).get("progress") or {}
        return int(progress.get("chain_events") or self.events_total)


def view_of(kernel: Kernel, row: VerifyRun, branch: int | None, requester: str, with_report: bool) -> RunView:
    status = row.status
    if status in ACTIVE and kernel.clock.now() - row.updated_at > STALE_AFTER:
        status = "interrupted"
    stored = stored_report(row) if with_report or status in ACTIVE else None
    report = visible_to(stored, branch) if stored is not None and status == "done" else stored
    seconds = _seconds(stored, status)
    return RunView(
        id=row.id,
        requested_by=row.requested_by,
        requester=requester,
        scope=json.loads(row.scope or "null"),
        status=status,
        events_total=row.events_total,
        events_done=row.events_done,
        started_at=row.started_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        ok=row.ok,
        head_seq=row.head_seq,
        head_hash=row.head_hash,
        error=row.error,
        seconds=seconds,
        events_per_second=_rate(row, stored, seconds),
        report=report,
        branch_only=branch,
    )


def stored_report(row: VerifyRun) -> dict[str, Any] | None:
    try:
        found = json.loads(row.report) if row.report else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _seconds(stored: dict[str, Any] | None, status: str) -> float | None:
    if stored is None:
        return None
    value = stored.get("seconds") if status == "done" else (stored.get("progress") or {}).get("seconds")
    return float(value) if isinstance(value, (int, float)) else None


def _rate(row: VerifyRun, stored: dict[str, Any] | None, seconds: float | None) -> float | None:
    if (
        row.status == "done"
        and stored is not None
        and isinstance(stored.get("events_per_second"), (int, float))
    ):
        return float(stored["events_per_second"])
    if seconds and row.events_done:
        return row.events_done / seconds
    return None
