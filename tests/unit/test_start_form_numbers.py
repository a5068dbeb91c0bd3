"""Which values of a start's data are kept as its whole numbers (`start_number`): those the start
event's data compares equal to a member's id, and that the column holds. Migration 0022 keeps its
own copy of the rule to fill in old cases; the two agree."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from xianfeng.engine.models.start_numbers import FIELD_LENGTH, whole_number, whole_numbers

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0022_start_numbers.py"

SAMPLES: list[Any] = [
    {"candidate_member_id": 7, "public_evaluator_count": 5, "post_title": "便民服务示范岗"},
    {"member_evaluators": [2, 3, 4], "willing": True, "declined": False, "score": 4.5, "count": 3.0},
    {"huge": 2**63, "largest": 2**63 - 1, "smallest": -(2**63), "tiny": -(2**63) - 1, "none": None},
    {"x" * (FIELD_LENGTH + 1): 1, "x" * FIELD_LENGTH: 2, "nan": float("nan"), "inf": float("inf")},
    {"b": 1, "a": 2},
    {},
    [],
    "not a form",
]


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0022", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_integers_and_floats_without_a_fraction_are_whole_numbers_yes_and_no_are_not() -> None:
    assert whole_numbers(SAMPLES[0]) == [("candidate_member_id", 7), ("public_evaluator_count", 5)]
    assert whole_numbers(SAMPLES[1]) == [("count", 3)]
    assert whole_numbers(SAMPLES[4]) == [("a", 2), ("b", 1)]


def test_what_no_column_holds_is_left_out() -> None:
    assert whole_numbers(SAMPLES[2]) == [("largest", 2**63 - 1), ("smallest", -(2**63))]
    assert whole_numbers(SAMPLES[3]) == [("x" * FIELD_LENGTH, 2)]
    assert whole_numbers([]) == [] and whole_numbers("not a form") == []


@pytest.mark.parametrize("value", [True, False, "7", None, 7.5, float("nan"), 2**64])
def test_a_member_id_that_is_no_whole_number_names_nobody(value: Any) -> None:
    assert whole_number(value) is None


@pytest.mark.parametrize("data", SAMPLES)
def test_the_migration_fills_in_what_a_start_writes(data: Any) -> None:
    payload = json.dumps({"process_key": "p", "version": 1, "data": data})
    assert _migration()._whole_numbers(payload) == whole_numbers(json.loads(payload)["data"])
