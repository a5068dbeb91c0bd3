"""Reads and writes of responsibility areas the pages use: one area with its records and what the
actor may do there; recording only in the area one holds (R9)."""

from __future__ import annotations

import pytest
from support import actor, table_contents
from walks_support import divide

from xianfeng.engine.errors import NotAllowed, NotFound
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import areas

STUDY = {
    "kind": "political",
    "political_activity": "study",
    "happened_on": "2026-11-21",
    "what": "学习党章和党内法规",
}


def test_an_areas_detail_says_who_may_record_and_comment(backend: Kernel) -> None:
    _first, second = divide(backend)
    record = areas.record_work(backend, actor(backend, "member4"), dict(STUDY), second)
    areas.comment_work(backend, actor(backend, "secretary1"), record, "学习认真。")
    areas.comment_work(backend, actor(backend, "secretary1"), record, "请补充学习心得。")
    view = areas.area_detail(backend, actor(backend, "member4"), second)
    assert (view["name"], view["village"], view["may_record"], view["may_comment"]) == (
        "东风村牧业组",
        "东风村",
        True,
        False,
    )
    assert [(m["lead"]) for m in view["members"]] == [False, True]
    (row,) = view["records"]
    assert (row["kind"], row["domain"]) == ("political", "study")
    # A second comment is kept beside the first, never written over it.
    assert [c["text"] for c in row["comments"]] == ["学习认真。", "请补充学习心得。"]
    assert all(c["at"] is not None and c["by"] for c in row["comments"])
    secretary = areas.area_detail(backend, actor(backend, "secretary1"), second)
    assert (secretary["may_record"], secretary["may_comment"]) == (False, True)
    town = areas.area_detail(backend, actor(backend, "committee"), second)
    assert (town["may_record"], town["may_comment"]) == (False, False)
    with pytest.raises(NotAllowed):
        areas.area_detail(backend, actor(backend, "secretary2"), second)
    with pytest.raises(NotFound):
        areas.area_detail(backend, actor(backend, "secretary1"), 999)


def test_a_member_records_only_in_the_area_they_hold(backend: Kernel) -> None:
    first, second = divide(backend)
    assert areas.recording_area(backend, actor(backend, "member4"), second)["name"] == "东风村牧业组"
    before = table_contents(backend)
    with pytest.raises(NotAllowed, match="holds no place in responsibility area"):
        areas.recording_area(backend, actor(backend, "member3"), second)
    with pytest.raises(NotAllowed, match="holds no place in responsibility area"):
        areas.record_work(backend, actor(backend, "member3"), dict(STUDY), second)
    with pytest.raises(NotAllowed):  # who may record is checked before the form
        areas.record_work(backend, actor(backend, "member4"), {"kind": "nonsense"}, first)
    with pytest.raises(NotAllowed, match="holds no active responsibility area"):
        areas.record_work(backend, actor(backend, "member9"), dict(STUDY), second)
    assert table_contents(backend) == before
    areas.record_work(backend, actor(backend, "member3"), dict(STUDY), first)
    assert [r["member_id"] for r in areas.work_records(backend, actor(backend, "committee"), first)] == [
        areas.area_detail(backend, actor(backend, "member3"), first)["members"][0]["member_id"]
    ]
