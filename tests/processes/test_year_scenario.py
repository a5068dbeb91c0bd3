"""A year in one branch, end to end, by moving the clock (never sleeping): posts established in
late 2026, two assessment cycles in 2027 started by the scheduler, a rectification that misses its
deadline and the revocation it leads to, a new post for the same member, and the ledgers of 2027
and 2028 (R4–R7, R13)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import sqlalchemy as sa
from support import (
    SCORES_HIGH,
    SCORES_RECTIFY,
    AssessmentWalk,
    actor,
    establish_post,
    member_id_of,
)

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ModelPost, Rectification
from xianfeng.engine.services import audit, ledger, timers

REWARD = {"spiritual": "通报表扬", "material": "奖金", "amount": 300}


def _at(kernel: Kernel, *when: int) -> None:
    kernel.clock.set(dt.datetime(*when, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]


def _cycle(kernel: Kernel, *when: int) -> dict[int, AssessmentWalk]:
    """Tick at an occurrence; return a walk per started assessment, keyed by post id."""
    _at(kernel, *when)
    started = [instance for key, instance in timers.tick(kernel).started if key == "periodic_assessment"]
    walks = {}
    for instance_id in started:
        walk = AssessmentWalk(kernel)
        walk.instance_id = instance_id
        walk.post_id = int(walk.show()["data"]["post_id"])
        walk.member = _member_of(kernel, walk.post_id)
        walks[walk.post_id] = walk
    return walks


def _member_of(kernel: Kernel, post_id: int) -> str:
    member_id = _post(kernel, post_id).member_id
    return next(f"member{n}" for n in range(1, 31) if member_id_of(kernel, f"member{n}") == member_id)


def _post(kernel: Kernel, post_id: int) -> ModelPost:
    with kernel.db.unit_of_work(write=False) as uow:
        post = uow.session.get(ModelPost, post_id)
        assert post is not None
        return post


def _excellent(walk: AssessmentWalk) -> None:
    walk.report_and_opinions()
    walk.answer_survey([{"overall": "satisfied"}] * 12)
    walk.close_survey()
    walk.score(SCORES_HIGH)
    assert walk.complete(walk.secretary, REWARD, "Task_reward").outcome == "excellent"


def _missed_rectification(kernel: Kernel, walk: AssessmentWalk) -> None:
    walk.report_and_opinions()
    walk.answer_survey([{"overall": "satisfied"}] * 8 + [{"overall": "dissatisfied"}] * 4)
    walk.close_survey()
    walk.score(SCORES_RECTIFY)
    walk.complete(
        walk.secretary,
        {"problems": "服务台账不全，入户走访偏少。", "rectify_days": 10},
        "Task_rectification_plan",
    )
    with kernel.db.unit_of_work(write=False) as uow:
        due = uow.session.execute(
            sa.select(Rectification.due_at).where(Rectification.instance_id == walk.instance_id)
        ).scalar_one()
    kernel.clock.set(due + dt.timedelta(minutes=5))  # type: ignore[attr-defined]
    timers.tick(kernel)
    walk.decide("approve")
    walk.complete(
        walk.secretary,
        {"returned_on": kernel.clock.now().astimezone(CHINA_TZ).date().isoformat()},
        "Task_plate_return",
    )


def test_a_year_of_one_branch(kernel: Kernel) -> None:
    committee = actor(kernel, "committee")
    steady = establish_post(kernel, candidate="member1")
    lapsing = establish_post(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))

    first = _cycle(kernel, 2027, 1, 1, 9, 1)
    assert set(first) == {steady, lapsing}
    _excellent(first[steady])
    _missed_rectification(kernel, first[lapsing])
    assert _post(kernel, lapsing).status == "revoked" and _post(kernel, lapsing).plate_returned_at is not None

    _at(kernel, 2027, 3, 1, 9, 0)
    second_post = establish_post(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))

    second = _cycle(kernel, 2027, 7, 1, 9, 1)
    assert set(second) == {steady, second_post}
    for walk in second.values():
        _excellent(walk)

    ledger_2027 = {e.member_id: e for e in ledger.ledger(kernel, committee, 2027)}
    steady_member, lapsing_member = member_id_of(kernel, "member1"), member_id_of(kernel, "member5")
    assert ledger_2027[steady_member].eligible and len(ledger_2027[steady_member].merits) == 4
    blocked = ledger_2027[lapsing_member]
    assert not blocked.eligible and len(blocked.merits) == 2
    assert "整改期限内未整改到位" in blocked.blocks[0]["reason"]
    ledger.list_for_commendation(kernel, committee, 2027, steady_member)
    try:
        ledger.list_for_commendation(kernel, committee, 2027, lapsing_member)
        raise AssertionError("a member whose post was revoked in 2027 was listed for 2027")
    except RuleViolation as refused:
        assert "该年度有限制记录" in refused.message

    third = _cycle(kernel, 2028, 1, 1, 9, 1)
    _excellent(third[second_post])
    (entry,) = [e for e in ledger.ledger(kernel, committee, 2028) if e.member_id == lapsing_member]
    assert entry.eligible and entry.blocks == []
    ledger.list_for_commendation(kernel, committee, 2028, lapsing_member)

    sheet = openpyxl.load_workbook(io.BytesIO(ledger.export_xlsx(kernel, committee, 2027))).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[blocked.member][2:4] == ("否", "否") and "被撤销" in rows[blocked.member][5]
    assert rows[ledger_2027[steady_member].member][2:4] == ("是", "是")
    report = audit.verify(kernel)
    assert report.ok, report.problems
