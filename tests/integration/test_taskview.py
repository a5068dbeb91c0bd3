"""What pages and the API are given about a task, an instance's diagrams and a public link."""

from __future__ import annotations

import pytest
from support import GOOD, CreationWalk, actor, table_contents

from xianfeng.engine.errors import NotAllowed, NotFound, StaleSubmission, TokenInvalid
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import tasks, taskview, verbs


def test_an_approver_sees_form_instructions_data_and_verbs(walk: CreationWalk) -> None:
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    task = walk.task_of("secretary1", "Task_determine_list")
    view = taskview.task_view(walk.kernel, actor(walk.kernel, "secretary1"), task.id)
    assert view.form.name == "determine_list.json" and "岗位职责" in view.instructions
    assert view.data["pledge"].startswith("我愿意") and view.data["member_score"] == 96.0
    # 催办 reminds others: never offered on a task one may do oneself.
    assert view.verbs == ["complete", "return", "transfer", "delegate", "add_signer", "copy"]
    assert view.return_targets == [
        {"id": "Task_consent", "name": "本人确认意愿", "name_en": "The nominee's consent"}
    ]
    assert view.state_version == task.instance_version


def test_others_cannot_open_a_task(walk: CreationWalk) -> None:
    walk.start()
    task = walk.task_of("member2", "Task_member_evaluation")
    with pytest.raises(NotAllowed):
        taskview.task_view(walk.kernel, actor(walk.kernel, "member3"), task.id)


def test_a_delegate_sees_only_giving_back_and_a_signer_only_signing(walk: CreationWalk) -> None:
    kernel = walk.kernel
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    task = walk.task_of("committee", "Task_committee_decision")
    verbs.add_signers(kernel, actor(kernel, "committee"), task.id, ["member9"], "请会签")
    assert "complete" not in taskview.task_view(kernel, actor(kernel, "committee"), task.id).verbs
    signer_view = taskview.task_view(kernel, actor(kernel, "member9"), task.id)
    assert "sign" in signer_view.verbs and "complete" not in signer_view.verbs
    assert signer_view.signers[0]["username"] == "member9" and not signer_view.signers[0]["signed"]
    verbs.sign(kernel, actor(kernel, "member9"), task.id, "同意")
    verbs.delegate(kernel, actor(kernel, "committee"), task.id, "secretary2", "请提意见")
    assert taskview.task_view(kernel, actor(kernel, "secretary2"), task.id).verbs == ["resolve"]


def test_the_diagram_view_gives_pinned_files_and_progress(walk: CreationWalk) -> None:
    walk.start()
    view = taskview.diagram_view(walk.kernel, actor(walk.kernel, "secretary1"), walk.instance_id)
    assert set(view.diagrams) == {
        "model_post_creation.bpmn",
        "nominee_evaluation.bpmn",
        "public_notice.bpmn",
        "approval.bpmn",
    }
    assert "bpmndi:BPMNDiagram" in view.diagrams["model_post_creation.bpmn"]
    assert {"Start_nomination", "Script_prepare", "Service_describe_candidate"} <= set(view.completed)
    assert set(view.current) == {
        "Call_evaluation",  # the call activity the evaluation runs in, and its deadline, are current too
        "Timer_evaluation_deadline",
        "Task_member_evaluation",
        "Task_public_evaluation",
    }
    with pytest.raises(NotAllowed):
        taskview.diagram_view(walk.kernel, actor(walk.kernel, "secretary2"), walk.instance_id)


def test_a_public_link_shows_the_nominee_and_the_form_until_it_is_used(walk: CreationWalk) -> None:
    walk.start()
    token = walk.public_tokens()[0]
    view = taskview.public_task_view(walk.kernel, token)
    assert view.form.name == "evaluation.json" and view.instance_title.endswith("· 便民服务示范岗")
    tasks.complete_by_token(walk.kernel, token, dict(GOOD))
    with pytest.raises(TokenInvalid, match="already been used"):
        taskview.public_task_view(walk.kernel, token)


def test_batch_approval_reports_each_task(kernel: Kernel) -> None:
    first = CreationWalk(kernel)
    second = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    for walk in (first, second):
        walk.start()
        walk.evaluate()
        walk.pass_notice()
        walk.consent()
        walk.determine()
    ids = [w.task_of("committee", "Task_committee_decision").id for w in (first, second)]
    results = tasks.complete_many(
        kernel, actor(kernel, "committee"), [*ids, "missing"], {"decision": "approve", "opinion": "同意"}
    )
    assert [r.outcome.outcome if r.outcome else r.error.code for r in results] == [
        "established",
        "established",
        "not_found",
    ]


def _at_committee(kernel: Kernel) -> CreationWalk:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    return walk


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (
            {"decision": "return", "opinion": "材料不全"},
            "rule_violation",
            "may set decision only to approve, reject",
        ),
        (
            {"decision": "approve", "opinion": "同意", "return_reasons": "无"},
            "rule_violation",
            "may only give decision, opinion, not return_reasons",
        ),
    ],
)
def test_a_batch_decision_is_limited_to_the_forms_batch_fields_and_choices(
    kernel: Kernel, data: dict[str, str], code: str, words: str
) -> None:
    walk = _at_committee(kernel)
    task = walk.task_of("committee", "Task_committee_decision")
    before = table_contents(kernel)
    (result,) = tasks.complete_many(kernel, actor(kernel, "committee"), [task.id], data)
    assert result.outcome is None and result.error is not None
    assert result.error.code == code and words in str(result.error)
    assert table_contents(kernel) == before


def test_a_task_whose_form_has_no_batch_decision_is_refused_in_a_batch(walk: CreationWalk) -> None:
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    task = walk.task_of("member1", "Task_consent")
    data = {"willing": False, "decline_reason": "身体原因"}
    before = table_contents(walk.kernel)
    (result,) = tasks.complete_many(walk.kernel, actor(walk.kernel, "member1"), [task.id], data)
    assert isinstance(result.error, NotAllowed) and "consent.json does not allow it" in str(result.error)
    assert table_contents(walk.kernel) == before
    # The same data completes the task on its own page.
    assert tasks.complete(walk.kernel, actor(walk.kernel, "member1"), task.id, data).event_seq > 0


def test_a_done_task_says_who_did_it_to_readers_of_its_case_only(walk: CreationWalk) -> None:
    walk.start()
    task = walk.task_of("member2", "Task_member_evaluation")
    walk.evaluate()
    with pytest.raises(StaleSubmission) as caught:
        taskview.task_view(walk.kernel, actor(walk.kernel, "committee"), task.id)
    assert caught.value.params["completed_by"] == "member2"
    assert caught.value.params["instance_id"] == walk.instance_id
    with pytest.raises(NotFound):  # another branch learns nothing about it
        taskview.task_view(walk.kernel, actor(walk.kernel, "secretary2"), task.id)
    with pytest.raises(NotFound):
        taskview.task_view(walk.kernel, actor(walk.kernel, "committee"), "no-such-task")
