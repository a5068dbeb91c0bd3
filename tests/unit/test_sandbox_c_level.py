"""What the interpreter does inside C, where no deadline can reach it: comparing deeply shared
structures, sorting them, counting working days over decades. Each is refused before it starts,
and a script that grows the process's memory in ways the counted allocations miss is stopped by
its bytes (issue: a hostile script held every writer for a minute)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.process import sandbox_guards
from xianfeng.engine.process.calendar import WorkingCalendar
from xianfeng.engine.process.effects import LiveEffects
from xianfeng.engine.process.helpers import StepHelpers
from xianfeng.engine.process.scripting import SandboxEnvironment, SandboxViolation

DEEP = "a = [[]]\nb = [[]]\nfor i in range(80):\n    a = [a, a]\n    b = [b, b]\n"


@pytest.fixture
def env() -> SandboxEnvironment:
    return SandboxEnvironment(time_limit=1.0)


def _refused(env: SandboxEnvironment, source: str) -> str:
    context: dict[str, Any] = {}
    started = time.monotonic()
    with pytest.raises(SandboxViolation) as refused:
        env.execute(source, context)
    assert time.monotonic() - started < 1.0  # refused before the C-level work, not after it
    return str(refused.value)


@pytest.mark.parametrize(
    "operation",
    [
        "same = a == b",
        "differ = a != b",
        "found = a in [b]",
        "order = a < b",
        "first = max(a, b)",
        "s = sorted([a, b])",
    ],
)
def test_comparing_deeply_shared_structures_is_refused_before_it_starts(
    env: SandboxEnvironment, operation: str
) -> None:
    assert "deeply shared" in _refused(env, DEEP + operation)


def test_ordinary_comparisons_are_untouched(env: SandboxEnvironment) -> None:
    context: dict[str, Any] = {"scores": [5, 4, 5], "answers": {"a": [1, 2]}}
    env.execute(
        "best = max(scores)\nok = scores == [5, 4, 5] and 4 in scores and answers['a'] < [1, 3]", context
    )
    assert context["best"] == 5 and context["ok"] is True


def test_identity_checks_cost_nothing_and_pass(env: SandboxEnvironment) -> None:
    context: dict[str, Any] = {}
    env.execute(DEEP + "same = a is a\nother = a is not b\ndel a, b", context)
    assert (context["same"], context["other"]) == (True, True)


def _helpers() -> dict[str, Any]:
    at = dt.datetime(2026, 3, 2, 9, tzinfo=CHINA_TZ)
    return StepHelpers(at, WorkingCalendar).functions(LiveEffects())


def test_counting_working_days_over_decades_is_refused() -> None:
    helpers = _helpers()
    with pytest.raises(SandboxViolation, match="at most 2600 working days"):
        helpers["add_working_days"]("2026-03-02T09:00:00+08:00", 2_800_000)
    with pytest.raises(SandboxViolation, match="twenty years"):
        helpers["working_days_between"]("1900-01-01T00:00:00+08:00", "2200-01-01T00:00:00+08:00")
    assert helpers["add_working_days"]("2026-03-02T09:00:00+08:00", 5).startswith("2026-03-")


def test_a_script_growing_memory_the_counts_miss_is_stopped_by_its_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A generous time limit: on a loaded machine the script must meet the byte limit, not the
    # clock, for the test to say anything about bytes.
    monkeypatch.setattr(sandbox_guards, "MEMORY_LIMIT", 40 * 1024 * 1024)
    source = (
        "keep = []\nfor i in range(1000):\n    for j in range(1000):\n"
        "        keep.append({'i': i, 'n': {'j': j}})\n"
    )
    with pytest.raises(SandboxViolation) as refused:
        SandboxEnvironment(time_limit=120.0).execute(source, {})
    assert "more than 40 MB of memory" in str(refused.value)
