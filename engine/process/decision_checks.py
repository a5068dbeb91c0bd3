"""Whether a decision table is correct under the hit policy it declares.

SpiffWorkflow 3.2 knows UNIQUE and COLLECT, and returns the first matching rule for any other
policy; under UNIQUE it also stops at the first match without checking that no other rule matches.
So a table declaring UNIQUE whose rules overlap silently behaves as FIRST, and its order decides
outcomes nobody meant to order. At deployment a UNIQUE table must therefore be provably disjoint:
for every pair of rules, some input column whose cells cannot both match. Cells are proved on
their own text: comparisons with a constant (`< 3`, `>= 80`, `60 <= ? < 75`, `!= 0`), constants
(`"passed"`, `True`), `in [...]`, and `and`/`or` of those. A cell comparing with a variable cannot
be proved and is reported as such, so a UNIQUE table never overlaps by accident; a table whose
order is meant declares FIRST.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SUPPORTED_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
_INPUT = "dmninputexpr"
_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # a '?' outside quotes


@dataclass(frozen=True)
class Interval:
    low: float
    low_closed: bool
    high: float
    high_closed: bool

    def meets(self, other: Interval) -> bool:
        low = max((self.low, not self.low_closed), (other.low, not other.low_closed))
        high = min((self.high, self.high_closed), (other.high, other.high_closed))
        if low[0] < high[0]:
            return True
        return low[0] == high[0] and not low[1] and high[1]


EVERY_NUMBER = Interval(-math.inf, False, math.inf, False)


@dataclass(frozen=True)
class Values:
    """A set of input values: numbers as intervals, other constants as points; `others` means
    every non-numeric value (what `!= 3` or an empty cell leaves in)."""

    numbers: tuple[Interval, ...] = ()
    points: frozenset[Any] = frozenset()
    others: bool = False

    def meets(self, other: Values) -> bool:
        if any(a.meets(b) for a in self.numbers for b in other.numbers):
            return True
        if (self.others and (other.others or other.points)) or (other.others and self.points):
            return True
        return bool(self.points & other.points)

    def both(self, other: Values) -> Values:
        numbers = tuple(_cut(a, b) for a in self.numbers for b in other.numbers if a.meets(b))
        if self.others and other.others:
            points, others = self.points | other.points, True
        elif self.others or other.others:
            points, others = (other.points if self.others else self.points), False
        else:
            points, others = self.points & other.points, False
        return Values(numbers, points, others)

    def either(self, other: Values) -> Values:
        return Values(self.numbers + other.numbers, self.points | other.points, self.others or other.others)


ANY = Values((EVERY_NUMBER,), frozenset(), True)


def _cut(a: Interval, b: Interval) -> Interval:
    low = max((a.low, not a.low_closed), (b.low, not b.low_closed))
    high = min((a.high, a.high_closed), (b.high, b.high_closed))
    return Interval(low[0], not low[1], high[0], high[1])


class Unprovable(Exception):
    """A cell whose matches cannot be told from its text (it compares with a variable…)."""


def _constant(node: ast.expr) -> Any:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise Unprovable(ast.unparse(node)) from None
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(value)
    try:
        hash(value)
    except TypeError:
        raise Unprovable(ast.unparse(node)) from None
    return value


def _point(value: Any) -> Values:
    if isinstance(value, bool | int | float):
        number = float(value)
        return Values((Interval(number, True, number, True),))
    return Values(points=frozenset([value]))


def _compared(op: ast.cmpop, value: Any) -> Values:
    """The values v for which `v <op> value` holds."""
    if isinstance(op, ast.In | ast.NotIn):
        if not isinstance(value, tuple):
            raise Unprovable("in")
        found = Values()
        for each in value:
            found = found.either(_point(each))
        if isinstance(op, ast.NotIn):
            raise Unprovable("not in")
        return found
    if isinstance(op, ast.Eq):
        return _point(value)
    if not isinstance(value, bool | int | float):
        raise Unprovable(f"{type(op).__name__} with a non-number")
    n = float(value)
    if isinstance(op, ast.NotEq):
        return Values(
            (Interval(-math.inf, False, n, False), Interval(n, False, math.inf, False)), others=True
        )
    bounds = {
        ast.Lt: Interval(-math.inf, False, n, False),
        ast.LtE: Interval(-math.inf, False, n, True),
        ast.Gt: Interval(n, False, math.inf, False),
        ast.GtE: Interval(n, True, math.inf, False),
    }
    for kind, interval in bounds.items():
        if isinstance(op, kind):
            return Values((interval,))
    raise Unprovable(type(op).__name__)


_MIRROR: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.Gt,
    ast.LtE: ast.GtE,
    ast.Gt: ast.Lt,
    ast.GtE: ast.LtE,
    ast.Eq: ast.Eq,
    ast.NotEq: ast.NotEq,
}


def _is_input(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == _INPUT


def _comparison(node: ast.Compare) -> Values:
    found = ANY
    operands = [node.left, *node.comparators]
    for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
        if _is_input(left) and not _is_input(right):
            part = _compared(op, _constant(right))
        elif _is_input(right) and not _is_input(left) and type(op) in _MIRROR:
            part = _compared(_MIRROR[type(op)](), _constant(left))
        else:
            raise Unprovable(ast.unparse(node))
        found = found.both(part)
    return found


def _expression(node: ast.expr) -> Values:
    if isinstance(node, ast.BoolOp):
        parts = [_expression(value) for value in node.values]
        found = parts[0]
        for part in parts[1:]:
            found = found.both(part) if isinstance(node.op, ast.And) else found.either(part)
        return found
    if isinstance(node, ast.Compare):
        return _comparison(node)
    raise Unprovable(ast.unparse(node))


def cell_values(text: str | None) -> Values:
    """The input values a cell matches, read the way SpiffWorkflow's DMN engine reads it: a cell
    with `?` is an expression of the input; one that parses alone is compared with `==`; any
    other is appended to the input (`< 3` → `input < 3`)."""
    if text is None or not text.strip():
        return ANY
    if _QUESTION.search(text):
        source = _QUESTION.sub(_INPUT, text)
    else:
        try:
            return _point(_constant(ast.parse(text.strip(), mode="eval").body))
        except SyntaxError:
            source = f"{_INPUT} {text.strip()}"
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        raise Unprovable(text) from None
    return _expression(tree.body)


@dataclass(frozen=True)
class Overlap:
    first: str
    second: str
    unproved: str = ""  # the cell that could not be read, when the overlap is not proved


def _cells(rule: Any) -> list[list[str | None]]:
    return [list(entry.lhs) for entry in rule.inputEntries]


def _column(cells: list[str | None]) -> Values:
    found = Values()
    for text in cells:
        found = found.either(cell_values(text))
    return found


def _pair(first: Any, second: Any) -> Overlap | None:
    """None when some column keeps the two rules apart; otherwise how they may both match."""
    unread = ""
    for one, other in zip(_cells(first), _cells(second), strict=False):
        try:
            if not _column(one).meets(_column(other)):
                return None
        except Unprovable:
            unread = unread or next((c for c in one + other if c and _unreadable(c)), "?")
    return Overlap(first.id, second.id, unread)


def _unreadable(text: str) -> bool:
    try:
        cell_values(text)
    except Unprovable:
        return True
    return False


def overlaps(rules: Iterable[Any]) -> list[Overlap]:
    ordered = list(rules)
    found = []
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            pair = _pair(first, second)
            if pair is not None:
                found.append(pair)
    return found


def table_problems(decision_id: str, table: Any) -> list[tuple[str, str]]:
    """(element id, message) for each way the table breaks its hit policy."""
    policy = str(table.hit_policy or "UNIQUE").upper()
    if policy not in SUPPORTED_POLICIES:
        return [
            (
                table.id,
                f"decision table {decision_id} declares hit policy {policy}; SpiffWorkflow 3.2 "
                f"runs only {', '.join(SUPPORTED_POLICIES)}",
            )
        ]
    if policy != "UNIQUE":
        return []
    problems = []
    table_name = f"decision table {decision_id} (hit policy UNIQUE)"
    fix = 'make them disjoint or declare hitPolicy="FIRST"'
    for overlap in overlaps(table.rules):
        rules = f"rules {overlap.first} and {overlap.second}"
        if overlap.unproved:
            message = (
                f"{table_name}: cannot tell whether {rules} both match: the cell {overlap.unproved!r} "
                f"is not a comparison with a constant; {fix}"
            )
        else:
            message = f"{table_name}: {rules} overlap (some input matches both); {fix}"
        problems.append((overlap.second, message))
    return problems
