"""Nothing of the procedure lives in engine/ or web/: no process key a page or a condition names, no
outcome code a table words, no copy of the codes a diagram declares for a value (an assessment's
outcomes), no pass mark, no day count, no limit of the procedure. Each rule is a pattern below; a
match fails with file, line and what to move into the diagrams. Procedures' own words (process ids,
end events' outcomes, `values.*` codes) are read from the shipped diagrams, so a new diagram is
covered without touching this test.

To add a rule, append a `Rule` to RULES. A match that is known and being moved goes in PENDING
with the reason, and comes out when it is gone (a stale entry fails too).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from xianfeng.engine.models import Base

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("engine", "web")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


@dataclass(frozen=True)
class Found:
    path: str
    line: int
    text: str


@dataclass(frozen=True)
class Rule:
    name: str
    why: str  # what to do instead
    find: Callable[[], Iterator[Found]]


def _diagrams() -> list[etree._Element]:
    return [etree.parse(str(path)).getroot() for path in sorted((ROOT / "processes").glob("*.bpmn"))]


def process_keys() -> set[str]:
    """Process ids, less those that are also a table's name (public_notice, rectification: the
    registers' tables, which code rightly names)."""
    ids = {p.get("id") for root in _diagrams() for p in root.iter(BPMN + "process")}
    return ids - set(Base.metadata.tables)


def outcome_codes() -> set[str]:
    """End events' outcome codes made of several words (single words like "revoked" are also
    statuses of records, which the registers rightly name)."""
    codes = {
        prop.get("value")
        for root in _diagrams()
        for end in root.iter(BPMN + "endEvent")
        for prop in end.iter(SPIFF + "property")
        if prop.get("name") == "outcome"
    }
    return {code for code in codes if code and "_" in code}


def declared_codes() -> list[set[str]]:
    """The codes each `values.<path>` property declares ("code=中文|English;…"): an assessment's
    outcomes, an evaluation's results."""
    return [
        {part.partition("=")[0].strip() for part in str(prop.get("value")).split(";") if "=" in part}
        for root in _diagrams()
        for prop in root.iter(SPIFF + "property")
        if str(prop.get("name", "")).startswith("values.")
    ]


def _sources(suffix: str) -> Iterator[Path]:
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob(f"*{suffix}")):
            if "node_modules" not in path.parts and "static" not in path.parts:
                yield path


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        constant = first.value if isinstance(first, ast.Expr) else None
        if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
            found.add(id(constant))
    return found


def _python_strings(wanted: Callable[[str], bool]) -> Iterator[Found]:
    """String literals in engine/ and web/ Python code (docstrings aside) that `wanted` matches."""
    for path in _sources(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and id(node) not in docstrings and wanted(text):
                yield Found(str(path.relative_to(ROOT)), node.lineno, text)


def _template_quotes(wanted: Callable[[str], bool]) -> Iterator[Found]:
    for path in _sources(".html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for quoted in re.findall(r"""['"]([a-z_]+)['"]""", line):
                if wanted(quoted):
                    yield Found(str(path.relative_to(ROOT)), number, quoted)


def _code_lines(pattern: re.Pattern[str]) -> Iterator[Found]:
    """Lines of Python code (comments and docstrings aside) matching `pattern`."""
    for path in _sources(".py"):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        doc_lines = {
            line
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)
        }
        for number, line in enumerate(source.splitlines(), 1):
            code = line.split("#", 1)[0]
            if number not in doc_lines and pattern.search(code):
                yield Found(str(path.relative_to(ROOT)), number, line.strip())


def _keys_named() -> Iterator[Found]:
    keys = process_keys()
    yield from _python_strings(lambda text: text in keys)
    yield from _template_quotes(lambda text: text in keys)


def _outcomes_worded() -> Iterator[Found]:
    codes = outcome_codes()
    yield from _python_strings(lambda text: text in codes)
    yield from _template_quotes(lambda text: text in codes)


# A tuple, list, set or dict holding this many codes of one declared value copies its vocabulary
# (its order, its words). Two alone are not enough: a register's own statuses (a rectification's
# passed and failed) are also a decided value's codes, and its operations rightly check them.
VOCABULARY_COPIED = 3


def _copies(node: ast.AST, declared: list[set[str]]) -> bool:
    """Whether `node` is a tuple, list, set or dict (its keys) holding a declared value's codes."""
    if not isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
        return False
    items = node.keys if isinstance(node, ast.Dict) else node.elts
    listed = {i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)}
    return any(len(listed & codes) >= VOCABULARY_COPIED for codes in declared)


def _copied_in(source: str, declared: list[set[str]]) -> Iterator[ast.AST]:
    return (node for node in ast.walk(ast.parse(source)) if _copies(node, declared))


def _vocabularies_copied() -> Iterator[Found]:
    declared = declared_codes()
    for path in _sources(".py"):
        for node in _copied_in(path.read_text(encoding="utf-8"), declared):
            yield Found(str(path.relative_to(ROOT)), getattr(node, "lineno", 0), ast.unparse(node)[:80])


# A score, rate, count of answers or evaluators compared with a number: a pass mark or a minimum.
_THRESHOLD = re.compile(r"\b\w*(score|rate|satisfaction|responses|answers|evaluators?)\w*\s*(<=|>=|<|>)\s*\d")
# A period of the procedure counted in code: working days added, or a `…_days = 10` setting.
_DAY_COUNT = re.compile(r"add_working_days\([^)]*,\s*\d+\s*\)|\b\w*_days\s*=\s*\d+\b")
# A limit of how often people may act (objections, urging) set in code rather than in a diagram.
_ACTION_LIMIT = re.compile(r"\b(URGE|OBJECTION)\w*\s*=\s*(\d|dt\.timedelta|timedelta)")

# R8: a member's ability compared with a grade in code decides who may hold or lead an area.
_ABILITY_RULE = re.compile(
    r"\b(political_quality|work_ability|organising_ability)\b[^#]*(==|!=|\bin\b)\s*[\"'(\[{]|\bweak_points\s*\("
)
# R11: a grade compared in code decides a reward, a merit or a criticism.
_GRADE_RULE = re.compile(r"\b(grade|level)\s*(==|!=|\bin\b)\s*[\"'(\[{]")
# R6, R7: who may be listed for commendation worked out from merits and blocks in code.
_ELIGIBILITY_RULE = re.compile(r"\beligible\s*=[^=][^#]*\b(merits|blocks)\b")
# The words of the R8 rules (one member one area, holding alone, leading, every village covered,
# every member placed) and of R7's refusal: a refusal worded in code is a rule decided in code.
_RULE_WORDS = (
    "一名党员负责一个责任区",
    "不宜单独负责",
    "不宜担任牵头",
    "尚未划分责任区",
    "尚未落实责任区",
    "may not be listed",
)


def _rule_words() -> Iterator[Found]:
    yield from _python_strings(lambda text: any(words in text for words in _RULE_WORDS))
    for path in _sources(".html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(words in line for words in _RULE_WORDS):
                yield Found(str(path.relative_to(ROOT)), number, line.strip())


RULES: list[Rule] = [
    Rule("process key", "find the process by its diagram's properties (e.g. `offer`)", _keys_named),
    Rule("outcome code", "name the outcome by its end event (case_text.outcome_words)", _outcomes_worded),
    Rule(
        "value codes",
        "read the codes, their order and words from the diagram (values.*: register_words, case_fields)",
        _vocabularies_copied,
    ),
    Rule("threshold", "put the mark into a decision table", lambda: _code_lines(_THRESHOLD)),
    Rule(
        "day count",
        "set the period in the diagram (a script or dueInWorkingDays)",
        lambda: _code_lines(_DAY_COUNT),
    ),
    Rule(
        "action limit",
        "set it as a diagram property (objectionLimit, urgeInterval)",
        lambda: _code_lines(_ACTION_LIMIT),
    ),
    Rule(
        "R8 qualification",
        "decide who may hold or lead an area in area_member_qualification.dmn",
        lambda: _code_lines(_ABILITY_RULE),
    ),
    Rule(
        "R11 consequence",
        "say what a grade leads to in area_grade_consequence.dmn",
        lambda: _code_lines(_GRADE_RULE),
    ),
    Rule(
        "commendation eligibility",
        "ask commendation_eligibility.dmn (services.ledger asks it through the listing procedure)",
        lambda: _code_lines(_ELIGIBILITY_RULE),
    ),
    Rule(
        "rule wording",
        "let the decision table word the refusal (area_team_rules, division_coverage, …)",
        _rule_words,
    ),
]

# (rule name, path): why the match is still there. Remove the entry with the match.
PENDING: dict[tuple[str, str], str] = {}


def test_no_procedure_rule_is_written_in_engine_or_web() -> None:
    found = [(rule, hit) for rule in RULES for hit in rule.find() if (rule.name, hit.path) not in PENDING]
    assert not found, "procedure rules in code:\n" + "\n".join(
        f"{hit.path}:{hit.line}: {rule.name} {hit.text!r} — {rule.why}" for rule, hit in found
    )


def test_every_pending_exception_still_has_its_match() -> None:
    matched = {(rule.name, hit.path) for rule in RULES for hit in rule.find()}
    stale = sorted(set(PENDING) - matched)
    assert not stale, f"these are gone: remove them from PENDING: {stale}"


def test_the_rules_see_what_they_look_for() -> None:
    assert {"model_post_creation", "periodic_assessment", "revocation"} <= process_keys()
    assert {"evaluation_lapsed", "established"} & outcome_codes() == {"evaluation_lapsed"}
    declared = declared_codes()
    assert {"excellent", "pass", "rectify", "fail"} in declared
    assert any(_copied_in('OUTCOMES = ("excellent", "pass", "rectify", "fail")', declared))
    assert any(
        _copied_in('{"excellent": _("优秀"), "pass": _("合格"), "fail": _("不合格")}.get(code)', declared)
    )
    assert not any(_copied_in('closed = result in ("passed", "failed")', declared))  # a register's statuses
    assert _THRESHOLD.search("if member_score >= 80:") and not _THRESHOLD.search("score = 80")
    assert _DAY_COUNT.search("evaluation_days = 10") and _DAY_COUNT.search("add_working_days(now, 5)")
    assert _ACTION_LIMIT.search("URGE_INTERVAL = dt.timedelta(hours=1)")
    assert _ABILITY_RULE.search("def weak_points(member: Member) -> list[str]:")
    assert _ABILITY_RULE.search('if member.organising_ability == "weak":')
    assert _ABILITY_RULE.search("if len(members) == 1 and weak_points(lead):")
    assert _GRADE_RULE.search('if level == "excellent":') and _GRADE_RULE.search('elif grade in ("weak",):')
    assert _ELIGIBILITY_RULE.search("entry.eligible = bool(entry.merits) and not entry.blocks")
    assert not _ELIGIBILITY_RULE.search('entry.eligible = bool(verdict.get("eligible"))')
    assert {"不宜担任牵头", "尚未划分责任区"} <= set(_RULE_WORDS)
