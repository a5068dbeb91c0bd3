"""Procedures walked through the services to give the ledger and area pages something to show
(this module holds no tests): an excellent assessment, a revocation, a division into areas."""

from __future__ import annotations

import sqlalchemy as sa
from area_support import divide as divided
from support import SCORES_HIGH, AssessmentWalk, CreationWalk, actor, establish_post, member_id_of

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Member, ResponsibilityArea
from xianfeng.engine.services import tasks

REWARD = {"spiritual": "通报表扬", "material": "奖金", "amount": 500}
VILLAGE_1, VILLAGE_2 = 1, 2  # 治安村, 东风村: the first branch's villages


def year_of(kernel: Kernel) -> int:
    return kernel.clock.now().astimezone(CHINA_TZ).year


def name_of(kernel: Kernel, username: str) -> str:
    with kernel.db.unit_of_work(write=False) as uow:
        member = uow.session.get(Member, member_id_of(kernel, username))
        assert member is not None
        return member.name


def excellent_post(kernel: Kernel, candidate: str, evaluators: tuple[str, ...]) -> AssessmentWalk:
    """A post established for `candidate` and assessed excellent with a reward: two ledger merits."""
    walk = AssessmentWalk(kernel, post_id=establish_post(kernel, candidate, evaluators), member=candidate)
    walk.through_survey(satisfied=12)
    walk.score(SCORES_HIGH)
    outcome = walk.complete(walk.secretary, dict(REWARD), "Task_reward")
    assert outcome.outcome == "excellent", outcome
    return walk


def revoke(kernel: Kernel, post_id: int) -> int:
    """The branch proposes revoking the post and the committee approves: a ledger block (R7)."""
    walk = CreationWalk(kernel)
    walk.instance_id = tasks.start(
        kernel,
        actor(kernel, "secretary1"),
        "revocation",
        {"post_id": post_id, "reasons": "该同志长期外出务工，无法履行示范岗职责。"},
    ).instance_id
    walk.decide("approve")
    return walk.instance_id


def divide(kernel: Kernel) -> list[int]:
    """The first branch divides its two villages into areas and the committee approves: member3
    alone in 治安村一组; member1 and member4 (the lead) in 东风村牧业组; the branch's other members
    exempted. The active areas' ids."""
    assert divided(kernel).decide("approve").outcome == "active"
    return active_area_ids(kernel)


def active_area_ids(kernel: Kernel) -> list[int]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(
                sa.select(ResponsibilityArea.id)
                .where(ResponsibilityArea.status == "active")
                .order_by(ResponsibilityArea.id)
            ).scalars()
        )
