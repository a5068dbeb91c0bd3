"""The rules a nomination must keep, declared in model_post_creation's script Script_nomination_rules
and enforced by the engine (R1, R3.1, R3.2, R4): one post per member, one nomination at a time, and
the nominee never evaluates their own nomination. A nomination breaking one is refused at its start,
naming the post or case, and nothing is kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from nomination_support import deploy_changed, instance_count, nothing_changed, verified
from support import CreationWalk, establish_post, member_id_of, table_contents

from xianfeng.engine.errors import RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ModelPost


def _posts_of(kernel: Kernel, username: str) -> list[ModelPost]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(
                sa.select(ModelPost).where(ModelPost.member_id == member_id_of(kernel, username))
            ).scalars()
        )


def test_a_member_holding_an_active_post_is_refused_a_second_nomination_naming_the_post(
    backend: Kernel,
) -> None:
    kernel = backend
    establish_post(kernel)
    before = table_contents(kernel)
    again = CreationWalk(kernel, evaluators=("member5", "member6", "member7"))
    with pytest.raises(RuleViolation, match=r"已是党员示范岗（ZA-SFG-2026-0001，便民服务示范岗）"):
        again.start(post_title="政策宣讲示范岗")
    nothing_changed(kernel, before)


def test_a_member_with_a_nomination_running_is_refused_another_naming_the_case(kernel: Kernel) -> None:
    first = CreationWalk(kernel)
    first.start()
    before = table_contents(kernel)
    second = CreationWalk(kernel, evaluators=("member5", "member6", "member7"))
    with pytest.raises(RuleViolation, match=rf"正在进行的示范岗提名（案件 {first.instance_id}："):
        second.start(post_title="政策宣讲示范岗")
    nothing_changed(kernel, before)


def test_the_nominee_is_refused_as_an_evaluator_of_their_own_nomination(kernel: Kernel) -> None:
    before = instance_count(kernel)
    walk = CreationWalk(kernel, evaluators=("member1", "member2", "member3"))
    with pytest.raises(RuleViolation, match="被提名人不能参加对本人的测评"):
        walk.start()
    assert instance_count(kernel) == before


def test_another_members_nomination_starts_while_one_runs(kernel: Kernel) -> None:
    CreationWalk(kernel).start()
    other = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    assert other.start().status == "running"


def _to_the_committee(walk: CreationWalk) -> CreationWalk:
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    return walk


def test_approval_refuses_a_second_post_even_when_a_diagram_let_two_nominations_run(kernel: Kernel) -> None:
    deploy_changed(
        kernel,
        "model_post_creation.bpmn",
        lambda text: text.replace('elif standing["running_cases"]:', "elif False:"),
    )
    first = _to_the_committee(CreationWalk(kernel))
    second = _to_the_committee(CreationWalk(kernel, evaluators=("member5", "member6", "member7")))
    assert first.decide("approve").outcome == "established"
    with pytest.raises(
        RuleViolation, match=r"已是党员示范岗（ZA-SFG-2026-0001），一名党员只能设立一个示范岗"
    ):
        second.decide("approve")
    assert second.task_of("committee", "Task_committee_decision")
    assert second.decide("reject").outcome == "rejected"
    assert [p.plate_no for p in _posts_of(kernel, "member1")] == ["ZA-SFG-2026-0001"]
    verified(kernel)
