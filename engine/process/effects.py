"""Everything a step takes from outside the workflow, recorded so that replay can feed it back.

A step may call whitelisted service tasks (which write domain records and return ids such as a
plate number) and calendar helpers (whose answer depends on the holiday table as it was that day).
Live steps run them and record `{"op", "args", "result"}` in order; replay returns the recorded
results instead of running anything, after checking that the step asks for the same thing in the
same order. A mismatch is a divergence the auditor must see.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import ReplayMismatch


def canonical_copy(value: Any) -> Any:
    """The value as the log will hold it (sorted keys, JSON types only).

    Snapshots keep dict insertion order, and the log stores canonical JSON; a live step must
    therefore see exactly what a replay will read back, or the two would differ in key order.
    """
    return json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False))


class EffectPort(Protocol):
    """How a step reaches the outside world."""

    recorded: list[dict[str, Any]]

    def call(self, op: str, args: dict[str, Any], run: Callable[[], Any]) -> Any: ...


class LiveEffects:
    """Runs each effect and records it."""

    def __init__(self) -> None:
        self.recorded: list[dict[str, Any]] = []

    def call(self, op: str, args: dict[str, Any], run: Callable[[], Any]) -> Any:
        args = canonical_copy(args)
        result = canonical_copy(run())
        self.recorded.append({"op": op, "args": args, "result": result})
        return result


class ReplayedEffects:
    """Feeds back what a live step recorded; runs nothing."""

    def __init__(self, recorded: list[dict[str, Any]]) -> None:
        self._pending = list(recorded)
        self.recorded: list[dict[str, Any]] = []

    def call(self, op: str, args: dict[str, Any], run: Callable[[], Any]) -> Any:
        if not self._pending:
            raise ReplayMismatch(f"replay asked for {op}({args}) but the log recorded no further effect")
        expected = self._pending.pop(0)
        args = canonical_copy(args)
        if expected["op"] != op or expected["args"] != args:
            raise ReplayMismatch(
                f"replay asked for {op}({args}) where the log recorded {expected['op']}({expected['args']})"
            )
        self.recorded.append(expected)
        return expected["result"]

    def assert_consumed(self) -> None:
        if self._pending:
            raise ReplayMismatch(
                f"replay left {len(self._pending)} recorded effect(s) unused: {self._pending[0]}"
            )
