"""Labelled choices for organisation-backed form fields match what validation accepts."""

from __future__ import annotations

from support import establish_post

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import forms, options


def test_choices_are_the_values_validation_accepts_with_readable_labels(kernel: Kernel) -> None:
    establish_post(kernel)
    for source in ("branch_members", "branch_posts", "branch_villages"):
        offered = options.choices(kernel, source, 1)
        with kernel.db.unit_of_work(write=False) as uow:
            assert {value for value, _label in offered} == forms.options(uow.session, source, 1)
        assert offered and all(label for _value, label in offered)
    assert [label for _v, label in options.choices(kernel, "branch_villages", 1)] == ["治安村", "东风村"]
    assert options.choices(kernel, "branch_posts", 1)[0][1].startswith("ZA-SFG-2026-0001 ")
    assert (
        options.choices(kernel, "unknown", 1) == [] and options.choices(kernel, "branch_members", None) == []
    )
