"""A timer whose expression gives something that is not an ISO 8601 value fails the step with a
typed error naming the timer (deploy refuses a literal one; this is one data or a script makes)."""

from __future__ import annotations

import datetime as dt

import pytest

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import ScriptError
from xianfeng.engine.process.bundle import parse_bundle
from xianfeng.engine.process.catalog import load_version
from xianfeng.engine.process.effects import LiveEffects
from xianfeng.engine.process.helpers import StepHelpers
from xianfeng.engine.process.runtime import StepInput, run_step

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="wait_a_while" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="Timer_wait" name="wait">
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>wait_for</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="Finish"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Timer_wait" />
    <bpmn:sequenceFlow id="F2" sourceRef="Timer_wait" targetRef="Finish" />
  </bpmn:process>
</bpmn:definitions>
"""
AT = dt.datetime(2026, 3, 2, 9, tzinfo=CHINA_TZ)


def _start(wait_for: str) -> int:
    version = load_version(parse_bundle({"w.bpmn": DIAGRAM.encode()}), "wait_a_while", 1, 1, "h", "wait")
    result = run_step(
        version,
        None,
        StepInput(kind="start", at=AT, seed="1:1", data={"wait_for": wait_for}),
        LiveEffects(),
        services=lambda op, params: None,
        helpers=StepHelpers(AT, lambda: None),  # type: ignore[arg-type,return-value]
        time_limit=1.0,
    )
    return len(result.timers)


def test_a_duration_that_parses_waits() -> None:
    assert _start("P5D") == 1


def test_a_duration_that_does_not_parse_is_a_typed_error_naming_the_timer() -> None:
    with pytest.raises(ScriptError, match="Timer_wait"):
        _start("P5X")
