"""Checks of a diagram's structure and of its forms' patterns, made before SpiffWorkflow builds the
specs, so that a broken diagram is refused with a message an administrator can act on (SpiffWorkflow
itself answers a flow to a missing element with "perhaps a form has the same ID?").

What would break a running case, and is refused: a flow from or to an element that does not exist;
a gateway with no outgoing flow (the case would stop there for good); an exclusive or inclusive
gateway whose outgoing flows all carry conditions and which has no default flow (when every
condition is false the step fails); a default that is not one of the gateway's own flows; a timer
written as a literal that does not parse; a multi-instance cardinality above what a step may create;
a form pattern that can backtrack exponentially (a nested unbounded repeat, e.g. `^(a+)+$`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from ..errors import DiagramLocation
from .cycles import parse_cycle

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
MAX_INSTANCES = 500  # children one multi-instance activity may start (also enforced when it runs)
Problem = tuple[DiagramLocation, str]

_GATEWAYS = ("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway")
_CONDITIONAL = ("exclusiveGateway", "inclusiveGateway")
_NOT_NODES = {"sequenceFlow", "laneSet", "lane", "extensionElements", "documentation", "dataObject"}


def check_diagram(name: str, root: Any) -> list[Problem]:
    """Every structural problem of one BPMN file."""
    problems: list[Problem] = []
    for process in root.iter(f"{BPMN}process"):
        problems.extend(_check_process(name, process))
    return problems


def _where(name: str, element: Any) -> DiagramLocation:
    return DiagramLocation(name, element.sourceline, element.get("id"))


def _local(element: Any) -> str:
    return str(element.tag).split("}", 1)[-1] if isinstance(element.tag, str) else ""


def _check_process(name: str, process: Any) -> Iterator[Problem]:
    nodes = {
        child.get("id"): child
        for child in process.iter()
        if child is not process and child.get("id") and _local(child) not in _NOT_NODES
    }
    flows = [f for f in process.iter(f"{BPMN}sequenceFlow")]
    outgoing: dict[str, list[Any]] = {}
    process_id = process.get("id")
    for flow in flows:
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            if ref not in nodes:
                side = "comes from" if end == "sourceRef" else "goes to"
                yield (
                    _where(name, flow),
                    f"sequence flow {side} {ref!r}, which is not an element of {process_id}",
                )
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    for node_id, node in nodes.items():
        kind = _local(node)
        if kind in _GATEWAYS:
            yield from _check_gateway(name, node, kind, outgoing.get(node_id, []))
        yield from _check_timer(name, node)
        yield from _check_cardinality(name, node)


def _check_gateway(name: str, gateway: Any, kind: str, flows: list[Any]) -> Iterator[Problem]:
    where = _where(name, gateway)
    if not flows:
        yield (where, "gateway has no outgoing flow: a case that reaches it would stop there for good")
        return
    default = gateway.get("default")
    if default and default not in {f.get("id") for f in flows}:
        yield (where, f"default flow {default!r} is not one of the gateway's outgoing flows")
    if kind in _CONDITIONAL and not default and len(flows) > 1:
        conditional = [f for f in flows if f.find(f"{BPMN}conditionExpression") is not None]
        if len(conditional) == len(flows):
            ids = ", ".join(f.get("id") for f in flows)
            yield (
                where,
                f"every outgoing flow ({ids}) has a condition and none is the default: when all are false "
                "the case stops with an error; mark one flow as the default",
            )


def _literal(text: str | None) -> Any:
    try:
        return ast.literal_eval((text or "").strip())
    except (ValueError, SyntaxError):
        return None


def _check_timer(name: str, node: Any) -> Iterator[Problem]:
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        for expression in node.iter(f"{BPMN}{kind}"):
            value = _literal(expression.text)
            if isinstance(value, str) and not _timer_parses(kind, value):
                yield (_where(name, node), f"{kind} {value!r} is not an ISO 8601 {_TIMER_WORDS[kind]}")


_TIMER_WORDS = {"timeDate": "date and time", "timeDuration": "duration", "timeCycle": "repeating interval"}


def _timer_parses(kind: str, value: str) -> bool:
    try:
        if kind == "timeDate":
            TimerEventDefinition.get_datetime(value)
        elif kind == "timeDuration":
            TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(value))
        else:
            parse_cycle(value)
    except Exception:  # any failure to parse is the answer
        return False
    return True


def _check_cardinality(name: str, node: Any) -> Iterator[Problem]:
    for cardinality in node.iter(f"{BPMN}loopCardinality"):
        value = _literal(cardinality.text)
        if isinstance(value, int) and value > MAX_INSTANCES:
            yield (
                _where(name, node),
                f"loop cardinality {value} is more than the {MAX_INSTANCES} instances one activity may start",
            )


def check_patterns(name: str, schema: Any, path: str = "") -> Iterable[Problem]:
    """Every `pattern` of a form's JSON Schema that could backtrack exponentially."""
    if isinstance(schema, dict):
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            problem = pattern_problem(pattern)
            if problem:
                yield (DiagramLocation(name, None, path or None), f"pattern {pattern!r}: {problem}")
        for key, value in schema.items():
            yield from check_patterns(name, value, f"{path}/{key}" if path else key)
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from check_patterns(name, value, f"{path}/{index}")


def pattern_problem(pattern: str) -> str | None:
    """Why a regular expression is refused, or None: it must compile, and no unbounded repeat may
    hold another unbounded repeat (the shape that backtracks without end, e.g. `(a+)+`, `(a*b*)*`).
    Overlapping alternatives under a repeat (`(a|aa)*`) are not caught: forms do not need them."""
    import re._parser as sre  # the stdlib's own parser: the same reading the matcher will make

    try:
        parsed = sre.parse(pattern)
        re.compile(pattern)
    except re.error as exc:
        return f"not a regular expression ({exc})"
    if _nested(parsed, sre, False):
        return (
            "an unbounded repeat inside an unbounded repeat can take exponential time on a wrong answer; "
            "bound one of them, e.g. (…){0,20} instead of (…)*"
        )
    return None


def _nested(items: Any, sre: Any, inside: bool) -> bool:
    for op, value in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            _low, high, body = value
            unbounded = high == sre.MAXREPEAT or high > 100
            if unbounded and inside:
                return True
            if _nested(body, sre, inside or unbounded):
                return True
        elif op == sre.SUBPATTERN:
            if _nested(value[-1], sre, inside):
                return True
        elif op == sre.BRANCH and any(_nested(branch, sre, inside) for branch in value[1]):
            return True
    return False
