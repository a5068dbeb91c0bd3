"""A case replayed event by event for its history pages: each event checked against its hash, re-run
on the pinned diagrams from the state before it, and the inbox as it stood after each one rebuilt.

This is `replay.replay_event` keeping the whole step result rather than the snapshot alone: the
tasks a step made ready, with due times and assignees evaluated as the live step evaluated them
(working days answered from the log), are what the inbox held; transfers and delegations then
change who holds a task, as they changed the inbox row. Nothing is written and nothing is kept
across requests: every question replays the log as it is now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from ...clock import parse_instant
from ...errors import ReplayMismatch
from ...kernel import Kernel
from ...models import Event
from ...process import history
from ...process.catalog import LoadedVersion
from ...process.effects import ReplayedEffects
from ...process.helpers import StepHelpers
from ...process.projection import ReadyTask
from ...process.runtime import StepInput, StepResult, run_step
from ...process.serialization import state_hash
from .replay import VERB_KINDS


@dataclass(frozen=True)
class Assignment:
    """Who an inbox row was assigned to, as the step or verb named them (resolved to accounts later)."""

    member_id: int | None = None
    username: str = ""
    user_id: int | None = None


@dataclass(frozen=True)
class InboxRow:
    task: ReadyTask
    assignee: Assignment | None = None
    owner_user_id: int | None = None
    delegation_state: str = ""


@dataclass(frozen=True)
class EventCheck:
    status: str  # ok / failed / not_replayed (an earlier event failed)
    problem: str = ""
    fired: tuple[str, ...] = ()  # timer elements a tick fired


@dataclass
class CaseReplay:
    kernel: Kernel
    version: LoadedVersion
    instance_id: int
    snapshot: str | None = None
    inbox: dict[str, InboxRow] = field(default_factory=dict)
    timers: dict[str, str] = field(default_factory=dict)  # waiting timer task id -> element id
    failed: str = ""

    def apply(self, event: Event) -> EventCheck:
        """Check and replay one event; after a failure nothing later can be trusted, so nothing runs."""
        if self.failed:
            return EventCheck("not_replayed", f"event {self.failed} failed to replay")
        problems = _row_problems(event, self.version)
        fired: tuple[str, ...] = ()
        if event.bundle_hash == self.version.bundle_hash:
            try:
                fired = self._run(event)
            except Exception as exc:  # a tampered log can break replay in any way: say how, never crash
                problems.append(f"replay failed: {getattr(exc, 'message', None) or exc}")
        if problems:
            self.failed = str(event.instance_version)
            return EventCheck("failed", "; ".join(problems))
        return EventCheck("ok", "", fired)

    def open_rows(self) -> list[InboxRow]:
        """The inbox now, as copies (later verbs must not change what was recorded for a moment)."""
        return [replace(row) for row in self.inbox.values()]

    def _run(self, event: Event) -> tuple[str, ...]:
        payload = json.loads(event.payload)
        if event.kind in VERB_KINDS:  # changes who acts or who is told, never the workflow
            if state_hash(self.snapshot or "") != event.state_hash:
                raise ReplayMismatch(f"the {event.kind} was logged against a state replay does not reach")
            self._verb(event, payload)
            return ()
        result = self._step(event, payload)
        replayed = state_hash(result.snapshot)
        if replayed != event.state_hash:
            raise ReplayMismatch(
                f"replayed state {replayed[:12]}… differs from the logged {event.state_hash[:12]}…"
            )
        self.snapshot = result.snapshot
        return self._project(result)

    def _step(self, event: Event, payload: dict[str, Any]) -> StepResult:
        at = history.step_time(event)
        effects = ReplayedEffects(json.loads(event.effects))
        step = StepInput(
            kind=event.kind,
            at=at,
            seed=f"{self.instance_id}:{event.instance_version}",
            task_id=event.task_id,
            data=payload.get("data", {}) or {},
            message=payload.get("name", ""),
            timers_at=parse_instant(payload["timers_at"]) if payload.get("timers_at") else None,
        )
        result = run_step(
            self.version,
            self.snapshot,
            step,
            effects,
            services=_no_service,
            helpers=StepHelpers(at, _no_calendar),
            time_limit=self.kernel.settings.script_time_limit,
        )
        effects.assert_consumed()
        if not result.caught:
            raise ReplayMismatch("the logged message was not caught on replay")
        return result

    def _project(self, result: StepResult) -> tuple[str, ...]:
        """What the step did to the inbox (as `steps._sync_inbox` did) and which timers it fired."""
        for gone in result.ready_before - result.ready_ids:
            self.inbox.pop(gone, None)
        for task in result.new_ready:
            who = Assignment(member_id=task.assignee_member_id) if task.assignee_member_id else None
            self.inbox[task.id] = InboxRow(task, who)
        waiting = {timer.id: timer.spec_id for timer in result.timers}
        fired = tuple(element for task_id, element in self.timers.items() if task_id not in waiting)
        self.timers = waiting
        return fired

    def _verb(self, event: Event, payload: dict[str, Any]) -> None:
        """转办 and 委派 change who holds the task; giving a delegated task back returns it to its owner."""
        row = self.inbox.get(event.task_id)
        if row is None:
            return
        if event.kind == "transfer":
            self.inbox[row.task.id] = replace(row, assignee=Assignment(username=str(payload.get("to", ""))))
        elif event.kind == "delegate":
            self.inbox[row.task.id] = replace(
                row,
                assignee=Assignment(username=str(payload.get("to", ""))),
                owner_user_id=event.actor_user_id,
                delegation_state="pending",
            )
        elif event.kind == "resolve":
            self.inbox[row.task.id] = replace(
                row, assignee=Assignment(user_id=row.owner_user_id), delegation_state="resolved"
            )


def _row_problems(event: Event, version: LoadedVersion) -> list[str]:
    problems = []
    fields = {name: getattr(event, name) for name in history.HASHED_FIELDS}
    if history.event_hash(fields, event.prev_hash) != event.hash:
        problems.append("the event's content does not match its hash (the row was edited)")
    if event.bundle_hash != version.bundle_hash:
        pinned = version.bundle_hash[:12]
        problems.append(f"ran on diagram bundle {event.bundle_hash[:12]}…, the case is pinned to {pinned}…")
    return problems


def _no_service(op: str, params: dict[str, Any]) -> Any:
    raise ReplayMismatch(f"replay tried to run service task {op} instead of reading its logged result")


def _no_calendar() -> Any:
    raise ReplayMismatch("replay tried to read the holiday calendar instead of the logged answer")
