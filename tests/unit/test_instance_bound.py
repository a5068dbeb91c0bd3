"""A multi-instance activity whose count comes from data cannot start more than 500 instances at
once (deploy refuses a literal cardinality above that; this is the count a script or a form makes)."""

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
  <bpmn:process id="fan_out" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Script_each" name="each">
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopCardinality>n</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
      <bpmn:script>done = True</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="Finish"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Script_each" />
    <bpmn:sequenceFlow id="F2" sourceRef="Script_each" targetRef="Finish" />
  </bpmn:process>
</bpmn:definitions>
"""
AT = dt.datetime(2026, 3, 2, 9, tzinfo=CHINA_TZ)


def _start(n: int) -> bool:
    version = load_version(parse_bundle({"fan_out.bpmn": DIAGRAM.encode()}), "fan_out", 1, 1, "h", "fan out")
    step = StepInput(kind="start", at=AT, seed="1:1", data={"n": n})
    result = run_step(
        version,
        None,
        step,
        LiveEffects(),
        services=lambda op, params: None,
        helpers=StepHelpers(AT, lambda: None),  # type: ignore[arg-type,return-value]
        time_limit=1.0,
    )
    return result.completed


def test_a_few_instances_run() -> None:
    assert _start(3) is True


def test_a_million_instances_are_refused_naming_the_activity_before_any_is_made() -> None:
    with pytest.raises(ScriptError, match="Script_each would start 1000000 instances at once; at most 500"):
        _start(1_000_000)
