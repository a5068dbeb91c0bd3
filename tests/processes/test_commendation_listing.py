"""Listing for commendation (列入表彰对象, R6, R7, R11) is a procedure of its own: the committee
starts it from the ledger, the decision table says who is eligible, a service task writes the
listing; the ledger shows eligibility by the same table."""

from __future__ import annotations

import datetime as dt

import pytest
from support import actor, member_id_of, table_contents
from walks_support import excellent_post, revoke, year_of

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import NotAllowed, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.process import catalog
from xianfeng.engine.services import audit, instances, ledger, setup


@pytest.fixture(autouse=True)
def _in_spring(kernel: Kernel) -> None:
    """Early in the year, so that every walk of a test ends in the same calendar year."""
    kernel.clock.set(dt.datetime(2026, 5, 6, 9, 0, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]


def test_listing_is_a_case_the_committee_starts_and_its_service_task_writes(kernel: Kernel) -> None:
    excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    year, member = year_of(kernel), member_id_of(kernel, "member1")
    with pytest.raises(NotAllowed):
        ledger.list_for_commendation(kernel, actor(kernel, "secretary1"), year, member)
    outcome = ledger.list_for_commendation(kernel, actor(kernel, "committee"), year, member, "镇党委会议研究")
    assert outcome.outcome == "listed"
    case = instances.show(kernel, actor(kernel, "auditor"), outcome.instance_id)
    assert case["process_key"] == "commendation_listing" and case["data"]["eligible"] is True
    (entry,) = ledger.ledger(kernel, actor(kernel, "committee"), year)
    assert entry.listed and entry.eligible
    listing = [m for m in entry.marks if m.kind == "listed"]
    assert [(m.instance_id, m.reason) for m in listing] == [(outcome.instance_id, "镇党委会议研究")]
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match="已列入该年度表彰对象"):
        ledger.list_for_commendation(kernel, actor(kernel, "committee"), year, member)
    assert table_contents(kernel) == before
    assert audit.verify(kernel).ok


def test_a_blocked_member_is_refused_by_the_decision_table_and_nothing_is_kept(kernel: Kernel) -> None:
    walk = excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    revoke(kernel, walk.post_id)
    year = year_of(kernel)
    (entry,) = ledger.ledger(kernel, actor(kernel, "committee"), year)
    assert not entry.eligible and entry.reason.startswith("该年度有限制记录：示范岗")
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match=r"该年度有限制记录：示范岗 .* 被撤销"):
        ledger.list_for_commendation(kernel, actor(kernel, "committee"), year, entry.member_id)
    with pytest.raises(RuleViolation, match="该年度没有评先依据"):
        ledger.list_for_commendation(
            kernel, actor(kernel, "committee"), year, member_id_of(kernel, "member9")
        )
    assert table_contents(kernel) == before


def test_eligibility_is_the_decision_tables_for_the_ledger_and_the_listing_alike(kernel: Kernel) -> None:
    excellent_post(kernel, "member1", ("member2", "member3", "member4"))  # two merits
    files = catalog.builtin_files()
    table = files["commendation_eligibility.dmn"].decode()
    old = '<inputEntry id="Entry_no_merit_merits"><text>&lt; 1</text>'
    assert old in table
    stricter = table.replace(old, '<inputEntry id="Entry_no_merit_merits"><text>&lt; 3</text>')
    setup.deploy(
        kernel, {**files, "commendation_eligibility.dmn": stricter.encode()}, "admin", "须有三项依据"
    )
    year = year_of(kernel)
    (entry,) = ledger.ledger(kernel, actor(kernel, "committee"), year)
    assert len(entry.merits) == 2 and not entry.eligible
    with pytest.raises(RuleViolation, match="该年度没有评先依据"):
        ledger.list_for_commendation(kernel, actor(kernel, "committee"), year, entry.member_id)
