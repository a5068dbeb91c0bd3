"""What deploying refuses before SpiffWorkflow builds anything: diagrams that would stop or break a
running case, and form patterns that backtrack without end; each named by file, line and element."""

from __future__ import annotations

import json
import re

import pytest

from xianfeng.engine.errors import DiagramInvalid
from xianfeng.engine.process.catalog import builtin_files, validate_files
from xianfeng.engine.process.structure_checks import pattern_problem

SHIPPED = builtin_files()


def _refused(name: str, edit: tuple[str, str] | None = None, raw: bytes | None = None) -> str:
    files = dict(SHIPPED)
    if raw is not None:
        files[name] = raw
    else:
        assert edit is not None
        old, new = edit
        text = files[name].decode()
        assert old in text, old
        files[name] = text.replace(old, new, 1).encode()
    with pytest.raises(DiagramInvalid) as refused:
        validate_files(files)
    return refused.value.message


def _line_of(text: str, opening: str) -> int:
    """The line an element opens on, as the check names it (the diagrams change around it)."""
    return text[: text.index(opening)].count("\n") + 1


def test_the_shipped_diagrams_and_forms_pass() -> None:
    assert validate_files(SHIPPED).specs


def test_a_gateway_left_without_an_outgoing_flow_is_refused_naming_it() -> None:
    text = SHIPPED["public_notice.bpmn"].decode()
    for flow in ("Flow_objection_upheld", "Flow_objection_dismissed"):
        text = re.sub(rf'\s*<bpmn:sequenceFlow id="{flow}".*?(/>|</bpmn:sequenceFlow>)', "", text, flags=re.S)
    text = text.replace(' default="Flow_objection_dismissed"', "")
    message = _refused("public_notice.bpmn", raw=text.encode())
    line = _line_of(text, '<bpmn:exclusiveGateway id="Gateway_objection"')
    assert f"public_notice.bpmn:{line} (element Gateway_objection): gateway has no outgoing flow" in message


def test_a_gateway_with_only_conditional_flows_and_no_default_is_refused() -> None:
    text = SHIPPED["public_notice.bpmn"].decode()
    text = text.replace(' default="Flow_objection_dismissed"', "")
    text = text.replace(
        '<bpmn:sequenceFlow id="Flow_objection_dismissed" name="不成立" sourceRef="Gateway_objection" '
        'targetRef="Gateway_notice_wait" />',
        '<bpmn:sequenceFlow id="Flow_objection_dismissed" name="不成立" sourceRef="Gateway_objection" '
        'targetRef="Gateway_notice_wait"><bpmn:conditionExpression>not objection_upheld'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )
    message = _refused("public_notice.bpmn", raw=text.encode())
    assert (
        "(element Gateway_objection): every outgoing flow" in message
        and "mark one flow as the default" in message
    )


def test_a_default_that_is_not_the_gateways_own_flow_is_refused() -> None:
    message = _refused(
        "public_notice.bpmn",
        ('default="Flow_objection_dismissed"', 'default="Flow_objection_answered"'),
    )
    assert "default flow 'Flow_objection_answered' is not one of the gateway's outgoing flows" in message


def test_a_flow_to_a_missing_element_is_refused_naming_the_flow() -> None:
    message = _refused(
        "public_notice.bpmn",
        ('targetRef="Gateway_objection"', 'targetRef="Nowhere"'),
    )
    line = _line_of(SHIPPED["public_notice.bpmn"].decode(), '<bpmn:sequenceFlow id="Flow_objection_answered"')
    assert (
        f"public_notice.bpmn:{line} (element Flow_objection_answered): sequence flow goes to 'Nowhere', "
        "which is not an element of public_notice"
    ) in message


@pytest.mark.parametrize(
    ("kind", "literal", "words"),
    [
        ("timeDate", '"2026-13-45T09:00"', "date and time"),
        ("timeDuration", '"P5X"', "duration"),
        ("timeCycle", '"R/every day"', "repeating interval"),
    ],
)
def test_a_timer_written_as_a_literal_that_does_not_parse_is_refused(
    kind: str, literal: str, words: str
) -> None:
    message = _refused(
        "public_notice.bpmn",
        (
            '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">notice_until</bpmn:timeDate>',
            f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">{literal}</bpmn:{kind}>',
        ),
    )
    assert f"{kind} {literal.replace(chr(34), chr(39))} is not an ISO 8601 {words}" in message


def test_an_unbounded_multi_instance_cardinality_is_refused() -> None:
    message = _refused(
        "nominee_evaluation.bpmn",
        (
            "<bpmn:loopDataInputRef>member_evaluators</bpmn:loopDataInputRef>",
            "<bpmn:loopCardinality>1000000</bpmn:loopCardinality>",
        ),
    )
    assert "(element Task_member_evaluation): loop cardinality 1000000 is more than the 500" in message


def test_a_form_pattern_that_backtracks_exponentially_is_refused_naming_the_field() -> None:
    form = json.loads(SHIPPED["consent.json"])
    form["schema"]["properties"]["pledge"]["pattern"] = "^(a+)+$"
    message = _refused("consent.json", raw=json.dumps(form, ensure_ascii=False).encode())
    assert "consent.json (element properties/pledge): pattern '^(a+)+$'" in message
    assert "exponential time" in message


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        ("^(a+)+$", True),
        ("^(a*b*)*$", True),
        (r"^(\w+\s?)*$", True),
        (r"^\d+(\.\d+){0,20}$", False),
        ("^[0-9a-f]{64}$", False),
        ("^(ab|cd)*$", False),
        ("(", True),
    ],
)
def test_patterns_are_judged_by_their_repeats(pattern: str, refused: bool) -> None:
    assert (pattern_problem(pattern) is not None) is refused
