"""Which approver verbs a task allows is a property of the task in its diagram (`verbs`), with a
default: a task that belongs to one person (an evaluator's score, the nominee's consent; it has an
`assignee`) may only be copied and urged, never handed on. The services refuse any other verb and
the task page offers only the allowed ones (engine/process/task_verbs.py)."""

from __future__ import annotations

import pytest
from nomination_support import deploy_changed
from support import CreationWalk, actor, establish_post, table_contents

from xianfeng.engine.errors import DiagramInvalid, NotAllowed
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.process.catalog import builtin_files
from xianfeng.engine.services import setup, tasks, taskview, verbs


def test_an_evaluator_cannot_hand_their_evaluation_on_to_anyone(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    task = walk.task_of("member2", "Task_member_evaluation")
    member2 = actor(kernel, "member2")
    before = table_contents(kernel)
    for target in ("member5", "member1"):  # a member not chosen, and the nominee
        with pytest.raises(
            NotAllowed, match=r"cannot be transferred \(转办\): its diagram allows copy, urge"
        ):
            verbs.transfer(kernel, member2, task.id, target, "我这几天外出")
        with pytest.raises(NotAllowed, match="cannot be delegated"):
            verbs.delegate(kernel, member2, task.id, target, "请代为测评")
    with pytest.raises(NotAllowed, match="cannot be given co-signers"):
        verbs.add_signers(kernel, member2, task.id, ["member1"], "请一起看看")
    assert table_contents(kernel) == before
    assert taskview.task_view(kernel, member2, task.id).verbs == ["complete", "copy"]


def test_the_nominees_consent_cannot_be_handed_on(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    task = walk.task_of("member1", "Task_consent")
    with pytest.raises(NotAllowed, match="cannot be transferred"):
        verbs.transfer(kernel, actor(kernel, "member1"), task.id, "member2", "请代我确认")
    assert "transfer" not in taskview.task_view(kernel, actor(kernel, "member1"), task.id).verbs


def test_the_plate_return_is_attested_by_the_branch_itself(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.instance_id = tasks.start(
        kernel,
        actor(kernel, "secretary1"),
        "revocation",
        {"post_id": establish_post(kernel), "reasons": "该同志长期外出务工，无法履行示范岗职责。"},
    ).instance_id
    walk.decide("approve")
    task = walk.task_of("secretary1", "Task_plate_return")
    with pytest.raises(NotAllowed, match="cannot be delegated"):
        verbs.delegate(kernel, actor(kernel, "secretary1"), task.id, "member2", "请代为收回岗牌")
    view = taskview.task_view(kernel, actor(kernel, "secretary1"), task.id)
    # Who urges is the pages' business (not oneself); the diagram decides there is no hand-over.
    assert [v for v in view.verbs if v != "urge"] == ["complete", "copy"]
    verbs.urge(kernel, actor(kernel, "committee"), task.id, "请尽快收回岗牌")


def test_a_task_without_the_property_keeps_every_verb(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    task = walk.task_of("secretary1", "Task_determine_list")
    view = taskview.task_view(kernel, actor(kernel, "secretary1"), task.id)
    assert [v for v in view.verbs if v != "urge"] == [
        "complete",
        "return",
        "transfer",
        "delegate",
        "add_signer",
        "copy",
    ]


def test_the_diagram_decides_the_verbs_of_a_task(kernel: Kernel) -> None:
    deploy_changed(
        kernel,
        "approval.bpmn",
        lambda text: text.replace(
            '<spiffworkflow:property name="dueInWorkingDays" value="10"',
            '<spiffworkflow:property name="verbs" value="copy" />\n'
            '          <spiffworkflow:property name="dueInWorkingDays" value="10"',
        ),
    )
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    task = walk.task_of("committee", "Task_committee_decision")
    assert taskview.task_view(kernel, actor(kernel, "committee"), task.id).verbs == ["complete", "copy"]
    with pytest.raises(NotAllowed, match="cannot be urged"):
        verbs.urge(kernel, actor(kernel, "secretary1"), task.id)


def test_a_verbs_property_naming_an_unknown_verb_is_refused_at_deployment(kernel: Kernel) -> None:
    files = builtin_files()
    text = files["revocation.bpmn"].decode()
    files["revocation.bpmn"] = text.replace(
        'name="verbs" value="copy,urge"', 'name="verbs" value="copy,forward"'
    ).encode()
    with pytest.raises(DiagramInvalid) as refused:
        setup.deploy(kernel, files, "admin")
    ((where, message),) = refused.value.problems
    assert where.element == "Task_plate_return"
    assert (
        message == "verbs names forward; a task may allow return, transfer, delegate, add_signer, copy, urge"
    )
