"""Make a SpiffWorkflow step a pure function of (state, input, business time).

SpiffWorkflow 3.2 draws task ids from `uuid4()` and stamps `last_state_change` with `time.time()`
(both in `SpiffWorkflow.task`), and its timers compare against `datetime.now()` (in
`SpiffWorkflow.bpmn.specs.event_definitions.timer`). Within a `step_scope` we replace all three:
ids come from uuid5(seed, counter), time is the step's business time. Replaying the event log
therefore rebuilds the snapshot byte for byte, and an auditor can compare hashes instead of
eyeballing task trees. Outside a scope the original behaviour is kept.

The patch touches module globals of a pinned SpiffWorkflow version (3.2.x); `install()` checks
that the names it replaces exist, so an upgrade that moves them fails loudly at start-up.
"""

from __future__ import annotations

import datetime as dt
import time as _time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _spiff_timer
import SpiffWorkflow.task as _spiff_task
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import SpiffWorkflowException

_ID_NAMESPACE = uuid.UUID("6f1c3d2a-58f4-4d4e-9a55-0c1f3b6e9d11")


@dataclass
class StepScope:
    """The business time and id seed of one step."""

    at: dt.datetime
    seed: str
    timers_at: dt.datetime | None = None
    counter: int = 0

    def next_id(self) -> uuid.UUID:
        self.counter += 1
        return uuid.uuid5(_ID_NAMESPACE, f"{self.seed}/{self.counter}")


_current: ContextVar[StepScope | None] = ContextVar("xianfeng_step_scope", default=None)


def current_scope() -> StepScope | None:
    return _current.get()


def business_now() -> dt.datetime:
    """The step's time inside a scope; the wall clock (UTC) outside one."""
    scope = _current.get()
    return scope.at if scope is not None else dt.datetime.now(dt.UTC)


def timers_now() -> dt.datetime:
    """The time timers are compared with.

    Normally the step's time. While an instance holds messages that arrived in time but could not
    be delivered yet (an objection filed while the branch was answering another), timers are held
    at the arrival of the earliest one, so that the message is considered before the deadline
    passes on it.
    """
    scope = _current.get()
    if scope is not None and scope.timers_at is not None:
        return min(scope.at, scope.timers_at)
    return business_now()


@contextmanager
def step_scope(at: dt.datetime, seed: str, timers_at: dt.datetime | None = None) -> Iterator[StepScope]:
    if at.tzinfo is None:
        raise ValueError("a step's business time must be timezone-aware")
    scope = StepScope(at=at, seed=seed, timers_at=timers_at)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def _task_id() -> uuid.UUID:
    scope = _current.get()
    return scope.next_id() if scope is not None else uuid.uuid4()


class _StepTime:
    """Stands in for the `time` module inside SpiffWorkflow.task."""

    @staticmethod
    def time() -> float:
        scope = _current.get()
        return scope.at.timestamp() if scope is not None else _time.time()


class _StepDatetime(dt.datetime):
    """Stands in for `datetime` inside SpiffWorkflow's timer module."""

    @classmethod
    def now(cls, tz: Any = None) -> dt.datetime:  # type: ignore[override]
        current = timers_now()
        return current.astimezone(tz) if tz is not None else current.astimezone().replace(tzinfo=None)


_installed = False


def install() -> None:
    """Patch SpiffWorkflow once per process; idempotent."""
    global _installed  # noqa: PLW0603 -- a process-wide, once-only patch
    if _installed:
        return
    for module, name in ((_spiff_task, "uuid4"), (_spiff_task, "time"), (_spiff_timer, "datetime")):
        if not hasattr(module, name):
            raise RuntimeError(
                f"SpiffWorkflow changed: {module.__name__}.{name} is gone; determinism patch needs review"
            )
    _spiff_task.uuid4 = _task_id
    _spiff_task.time = _StepTime
    _spiff_timer.datetime = _StepDatetime
    for definition in (
        _spiff_timer.TimeDateEventDefinition,
        _spiff_timer.DurationTimerEventDefinition,
        _spiff_timer.CycleTimerEventDefinition,
    ):
        definition.has_fired = _naming_the_timer(definition.has_fired)
    _installed = True


def _naming_the_timer(has_fired: Any) -> Any:
    """A timer value that does not parse raises a bare `Exception` inside SpiffWorkflow ("Invalid
    duration"), which would escape as a traceback: say it as an error of that task instead."""

    def checked(self: Any, my_task: Any) -> Any:
        try:
            return has_fired(self, my_task)
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            value = my_task._get_internal_data("event_value")
            raise WorkflowTaskException(
                f"the timer's value is not an ISO 8601 date, duration or cycle ({exc}; value {value!r})",
                task=my_task,
                exception=exc,
            ) from exc

    return checked
