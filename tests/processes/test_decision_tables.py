"""Decision tables are valid under the hit policy they declare: a UNIQUE table must be provably
disjoint, so deployment refuses one whose rules overlap, naming the table and the rules; a table
whose order matters declares FIRST (engine/process/decision_checks.py)."""

from __future__ import annotations

import pytest
from support import table_contents

from xianfeng.engine.errors import DiagramInvalid
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.process.catalog import builtin_files, validate_files
from xianfeng.engine.process.decision_checks import Unprovable, cell_values
from xianfeng.engine.services import setup


def _refused(kernel: Kernel, name: str, old: str, new: str) -> list[tuple[str | None, str]]:
    files = builtin_files()
    text = files[name].decode()
    assert old in text
    files[name] = text.replace(old, new, 1).encode()
    before = table_contents(kernel)
    with pytest.raises(DiagramInvalid) as refused:
        setup.deploy(kernel, files, "admin")
    assert table_contents(kernel) == before
    return [(where.element, message) for where, message in refused.value.problems]


def test_every_shipped_table_holds_under_its_hit_policy() -> None:
    bundle = validate_files(builtin_files())
    policies = {
        task.dmnEngine.decision_table.id: task.dmnEngine.decision_table.hit_policy
        for spec in bundle.specs.values()
        for task in spec.task_specs.values()
        if hasattr(task, "dmnEngine")
    }
    assert policies["DecisionTable_nomination_evaluation"] == "UNIQUE"
    assert policies["DecisionTable_assessment_outcome"] == "FIRST"


def test_overlapping_rules_of_a_unique_table_are_refused_naming_the_table_and_rules(kernel: Kernel) -> None:
    # Rule_passed no longer asks for enough villagers: it now overlaps Rule_too_few_public.
    problems = _refused(
        kernel,
        "nomination_evaluation.dmn",
        '<inputEntry id="Entry_passed_public"><text>&gt;= 5</text></inputEntry>',
        '<inputEntry id="Entry_passed_public"><text></text></inputEntry>',
    )
    assert problems == [
        (
            "Rule_passed",
            "decision table nomination_evaluation (hit policy UNIQUE): rules Rule_too_few_public and "
            'Rule_passed overlap (some input matches both); make them disjoint or declare hitPolicy="FIRST"',
        )
    ]


def test_a_unique_table_comparing_with_a_variable_is_refused_as_unprovable(kernel: Kernel) -> None:
    problems = _refused(
        kernel,
        "nomination_evaluation.dmn",
        '<inputEntry id="Entry_too_few_members_count"><text>&lt; 3</text></inputEntry>',
        '<inputEntry id="Entry_too_few_members_count"><text>&lt; minimum_members</text></inputEntry>',
    )
    assert problems and all("cannot tell whether rules Rule_too_few_members and" in m for _e, m in problems)
    assert "'< minimum_members' is not a comparison with a constant" in problems[0][1]


def test_the_same_overlap_is_accepted_when_the_table_declares_first(kernel: Kernel) -> None:
    files = builtin_files()
    text = files["nomination_evaluation.dmn"].decode()
    text = text.replace('hitPolicy="UNIQUE"', 'hitPolicy="FIRST"').replace(
        '<inputEntry id="Entry_passed_public"><text>&gt;= 5</text></inputEntry>',
        '<inputEntry id="Entry_passed_public"><text></text></inputEntry>',
    )
    files["nomination_evaluation.dmn"] = text.encode()
    deployed = {d.process_key: d for d in setup.deploy(kernel, files, "admin")}
    assert deployed["model_post_creation"].new


def test_a_hit_policy_spiffworkflow_does_not_run_is_refused(kernel: Kernel) -> None:
    problems = _refused(kernel, "assessment_outcome.dmn", 'hitPolicy="FIRST"', 'hitPolicy="PRIORITY"')
    assert problems == [
        (
            "DecisionTable_assessment_outcome",
            "decision table assessment_outcome declares hit policy PRIORITY; SpiffWorkflow 3.2 runs only "
            "UNIQUE, FIRST, COLLECT",
        )
    ]


@pytest.mark.parametrize(
    ("one", "other", "meet"),
    [
        ("< 3", ">= 3", False),
        ("<= 3", ">= 3", True),
        ("60 <= ? < 75", "75 <= ? < 90", False),
        ("60 <= ? <= 75", ">= 75", True),
        ('"passed"', '"failed"', False),
        ("True", "False", False),
        ("in [1, 2]", "== 2", True),
        ("!= 0", "0", False),
        ("? > 5 and ? < 7", "6", True),
        ("? < 5 or ? > 7", "6", False),
        ("", '"anything"', True),
    ],
)
def test_cells_are_read_as_sets_of_values(one: str, other: str, meet: bool) -> None:
    assert cell_values(one).meets(cell_values(other)) is meet


def test_a_cell_naming_a_variable_cannot_be_read() -> None:
    with pytest.raises(Unprovable):
        cell_values("< survey_min_responses")
