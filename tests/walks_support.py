"""Procedures walked through the services to give the ledger and area pages something to show
(this module holds no tests): an excellent assessment, a revocation, a division into areas; and
the assessment's outcomes renamed by an administrator who publishes a new version."""

from __future__ import annotations

import sqlalchemy as sa
from area_support import divide as divided
from support import SCORES_HIGH, AssessmentWalk, CreationWalk, actor, establish_post, member_id_of

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Member, ResponsibilityArea
from xianfeng.engine.services import tasks
from xianfeng.engine.services.admin import processes

REWARD = {"spiritual": "通报表扬", "material": "奖金", "amount": 500}
VILLAGE_1, VILLAGE_2 = 1, 2  # 治安村, 东风村: the first branch's villages
ASSESSMENT = "periodic_assessment"
OUTCOMES_PROPERTY = 'name="values.assessment_outcome" value="{}"'
SHIPPED_OUTCOMES = "excellent=优秀|Excellent;pass=合格|Pass;rectify=整改|Rectify;fail=不合格|Fail"
# 优秀 renamed 特优 (Outstanding), and a new outcome 良好 (Good) put between it and 合格.
RENAMED_OUTCOMES = (
    "excellent=特优|Outstanding;good=良好|Good;pass=合格|Pass;rectify=整改|Rectify;fail=不合格|Fail"
)


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


def publish_outcomes(kernel: Kernel, outcomes: str) -> None:
    """The administrator publishes the assessment with its outcomes declared as `outcomes` (the
    start event's `values.assessment_outcome`), as the process editor does."""
    admin = actor(kernel, "admin")
    draft = processes.open_draft(kernel, admin, ASSESSMENT)
    name = f"{ASSESSMENT}.bpmn"
    shipped = OUTCOMES_PROPERTY.format(SHIPPED_OUTCOMES)
    assert shipped in draft.files[name], "the shipped diagram declares the outcomes this helper renames"
    changed = draft.files[name].replace(shipped, OUTCOMES_PROPERTY.format(outcomes))
    assert processes.save_draft(kernel, admin, draft.id, {name: changed}).problems == []
    published = processes.publish(kernel, admin, draft.id, "考核结果更名并增加良好")
    assert [v.version for v in published if v.process_key == ASSESSMENT and v.new] == [2]


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
