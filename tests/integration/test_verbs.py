"""Approver verbs on SQLite and PostgreSQL: each checked like a completion, chained, announced."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from nomination_support import add_deputy
from support import GOOD, CreationWalk, actor, table_contents

from xianfeng.engine.errors import NotAllowed, RuleViolation, StaleSubmission
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, Notification, ProcessInstance
from xianfeng.engine.services import audit, inbox, notifications, tasks, verbs


@pytest.fixture
def at_decision(backend: Kernel) -> CreationWalk:
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    return walk


def _kinds(kernel: Kernel, instance_id: int) -> list[str]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(
                sa.select(Event.kind).where(Event.instance_id == instance_id).order_by(Event.seq)
            ).scalars()
        )


def _notified(kernel: Kernel, username: str, kind: str) -> list[Notification]:
    who = actor(kernel, username)
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(
                sa.select(Notification).where(Notification.user_id == who.user_id, Notification.kind == kind)
            ).scalars()
        )


def test_new_tasks_notify_whoever_must_act_in_the_same_step(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    assert [n.title for n in _notified(backend, "member2", "task")] == ["党员测评"]
    assert _notified(backend, "member5", "task") == []
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    assert _notified(backend, "secretary1", "task")[-1].title == "支部确定名单"
    assert _notified(backend, "secretary2", "task") == []


def _at_the_list(kernel: Kernel) -> CreationWalk:
    """The branch's list waits (a task a second 支委 may take: an evaluation is never handed on)."""
    add_deputy(kernel)
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    return walk


def test_transfer_hands_a_task_to_an_eligible_person_and_is_chained(backend: Kernel) -> None:
    walk = _at_the_list(backend)
    task = walk.task_of("secretary1", "Task_determine_list")
    result = verbs.transfer(backend, actor(backend, "secretary1"), task.id, "deputy1", "出差，请代为办理")
    assert result.notified == 1
    assert task.id not in {t.id for t in inbox.tasks_for(backend, actor(backend, "secretary1"))}
    data = {"include": True, "post_title": "便民服务示范岗", "responsibilities": "负责村便民服务站日常工作。"}
    done = tasks.complete(backend, actor(backend, "deputy1"), task.id, data)
    assert done.status == "running"
    assert _kinds(backend, walk.instance_id)[-2:] == ["transfer", "complete"]
    assert audit.verify(backend).ok


@pytest.mark.parametrize(
    ("to", "message"), [("secretary2", "within the task's branch"), ("committee", "needs the role 'branch'")]
)
def test_transfer_to_someone_ineligible_is_refused(backend: Kernel, to: str, message: str) -> None:
    walk = _at_the_list(backend)
    task = walk.task_of("secretary1", "Task_determine_list")
    before = table_contents(backend)
    with pytest.raises(NotAllowed, match=message):
        verbs.transfer(backend, actor(backend, "secretary1"), task.id, to, "请代为处理")
    assert table_contents(backend) == before


def test_delegation_comes_back_to_the_owner_who_completes(at_decision: CreationWalk) -> None:
    kernel = at_decision.kernel
    task = at_decision.task_of("committee", "Task_committee_decision")
    verbs.delegate(kernel, actor(kernel, "committee"), task.id, "secretary2", "请先提出意见")
    decision = {"decision": "approve", "opinion": "同意"}
    with pytest.raises(NotAllowed, match="delegated"):
        tasks.complete(kernel, actor(kernel, "secretary2"), task.id, decision)
    with pytest.raises(NotAllowed):
        tasks.complete(kernel, actor(kernel, "committee"), task.id, decision)
    verbs.resolve_delegation(kernel, actor(kernel, "secretary2"), task.id, "材料齐全，建议批准")
    assert _notified(kernel, "committee", "resolved")[-1].body.endswith("材料齐全，建议批准")
    assert tasks.complete(kernel, actor(kernel, "committee"), task.id, decision).outcome == "established"
    assert _kinds(kernel, at_decision.instance_id)[-3:] == ["delegate", "resolve", "complete"]
    assert audit.verify(kernel).ok


def test_co_signers_must_sign_before_completion(at_decision: CreationWalk) -> None:
    kernel = at_decision.kernel
    task = at_decision.task_of("committee", "Task_committee_decision")
    verbs.add_signers(kernel, actor(kernel, "committee"), task.id, ["secretary1", "member9"], "请会签")
    assert [s["task"] for s in inbox.signing_for(kernel, actor(kernel, "member9"))] == ["镇党委审批"]
    with pytest.raises(RuleViolation, match="co-signers secretary1, member9"):
        tasks.complete(
            kernel, actor(kernel, "committee"), task.id, {"decision": "approve", "opinion": "同意"}
        )
    verbs.sign(kernel, actor(kernel, "secretary1"), task.id, "同意")
    with pytest.raises(NotAllowed, match="no signature pending"):
        verbs.sign(kernel, actor(kernel, "secretary1"), task.id, "再次同意")
    verbs.sign(kernel, actor(kernel, "member9"), task.id, "同意")
    outcome = tasks.complete(
        kernel, actor(kernel, "committee"), task.id, {"decision": "approve", "opinion": "同意"}
    )
    assert outcome.outcome == "established"
    assert audit.verify(kernel).ok


def test_copies_appear_under_copied_to_me_with_a_notification(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    verbs.copy_to(backend, actor(backend, "secretary1"), walk.instance_id, ["member9", "committee"], "请知悉")
    rows = inbox.copied_to(backend, actor(backend, "member9"))
    assert [(r["instance_id"], r["note"]) for r in rows] == [(walk.instance_id, "请知悉")]
    assert inbox.counts(backend, actor(backend, "member9"))["copies"] == 1
    assert len(_notified(backend, "committee", "copy")) == 1
    with pytest.raises(NotAllowed):
        verbs.copy_to(backend, actor(backend, "secretary2"), walk.instance_id, ["member9"], "越权抄送")


def test_urging_notifies_the_assignee_at_most_once_an_hour(at_decision: CreationWalk) -> None:
    kernel = at_decision.kernel
    task = at_decision.task_of("committee", "Task_committee_decision")
    verbs.urge(kernel, actor(kernel, "secretary1"), task.id, "请尽快审批")
    assert _notified(kernel, "committee", "urge")[-1].body == "请尽快审批"
    with pytest.raises(RuleViolation, match="urge again after"):
        verbs.urge(kernel, actor(kernel, "secretary1"), task.id)
    kernel.clock.set(kernel.clock.now() + dt.timedelta(minutes=61))  # type: ignore[attr-defined]
    verbs.urge(kernel, actor(kernel, "secretary1"), task.id)
    with pytest.raises(NotAllowed, match="may not urge"):
        verbs.urge(kernel, actor(kernel, "member7"), task.id)


def test_verbs_do_not_make_an_open_form_stale(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    task = walk.task_of("member2", "Task_member_evaluation")
    verbs.copy_to(backend, actor(backend, "secretary1"), walk.instance_id, ["member9"], "请知悉")
    done = tasks.complete(
        backend, actor(backend, "member2"), task.id, dict(GOOD), expected_version=task.instance_version
    )
    assert done.version == task.instance_version + 1
    with backend.db.unit_of_work(write=False) as uow:
        stored = uow.session.get(ProcessInstance, walk.instance_id)
        assert stored is not None
        assert (stored.state_version, stored.version) == (
            task.instance_version + 1,
            task.instance_version + 2,
        )


def test_the_branch_may_return_the_case_to_the_nominee(at_decision: CreationWalk) -> None:
    kernel = at_decision.kernel
    at_decision.decide("return")
    task = at_decision.task_of("secretary1", "Task_determine_list")
    outcome = verbs.return_to(
        kernel,
        actor(kernel, "secretary1"),
        task.id,
        "Task_consent",
        "请补充公开承诺",
        expected_version=task.instance_version,
    )
    assert [t.spec_id for t in outcome.next_tasks] == ["Task_consent"]
    assert at_decision.task_of(at_decision.candidate, "Task_consent")
    at_decision.consent()
    at_decision.determine()
    assert at_decision.decide("approve").outcome == "established"
    assert audit.verify(kernel).ok


def test_returning_where_the_diagram_does_not_allow_is_refused(at_decision: CreationWalk) -> None:
    kernel = at_decision.kernel
    at_decision.decide("return")
    task = at_decision.task_of("secretary1", "Task_determine_list")
    before = table_contents(kernel)
    with pytest.raises(RuleViolation, match="may return to Task_consent, not 'Start_nomination'"):
        verbs.return_to(kernel, actor(kernel, "secretary1"), task.id, "Start_nomination", "重新提名")
    with pytest.raises(StaleSubmission):
        verbs.return_to(
            kernel,
            actor(kernel, "secretary1"),
            task.id,
            "Task_consent",
            "请补充",
            expected_version=task.instance_version - 1,
        )
    assert table_contents(kernel) == before


def test_reading_and_dispatching_notifications(backend: Kernel) -> None:
    CreationWalk(backend).start()
    member2 = actor(backend, "member2")
    assert notifications.unread_count(backend, member2) == 1
    sent = []

    class Recorder:
        def send(self, user: object, notification: Notification) -> None:
            sent.append((getattr(user, "username", ""), notification.title))

    assert notifications.dispatch(backend, Recorder()) == len(sent) > 0
    assert ("member2", "党员测评") in sent
    assert notifications.dispatch(backend, Recorder()) == 0
    assert notifications.mark_read(backend, member2) == 1
    assert notifications.unread_count(backend, member2) == 0


def test_public_links_are_for_the_branch_and_the_committee_only(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    from xianfeng.engine.services import instances

    assert len(instances.links(backend, actor(backend, "secretary1"), walk.instance_id)) == 5
    assert len(instances.links(backend, actor(backend, "committee"), walk.instance_id)) == 5
    for username in ("member2", "auditor", "secretary2"):
        with pytest.raises(NotAllowed):
            instances.links(backend, actor(backend, username), walk.instance_id)


def test_the_read_only_auditor_cannot_copy_or_co_sign(at_decision: CreationWalk) -> None:
    kernel = at_decision.kernel
    with pytest.raises(NotAllowed, match="no acting role"):
        verbs.copy_to(kernel, actor(kernel, "auditor"), at_decision.instance_id, ["member9"], "抄送")
    task = at_decision.task_of("committee", "Task_committee_decision")
    before = table_contents(kernel)
    with pytest.raises(NotAllowed, match="auditor cannot co-sign"):
        verbs.add_signers(kernel, actor(kernel, "committee"), task.id, ["auditor"], "请会签")
    assert table_contents(kernel) == before


def test_the_owner_of_a_delegated_task_can_still_see_it(at_decision: CreationWalk) -> None:
    from xianfeng.engine.services import taskview

    kernel = at_decision.kernel
    task = at_decision.task_of("committee", "Task_committee_decision")
    verbs.delegate(kernel, actor(kernel, "committee"), task.id, "secretary2", "请先提出意见")
    view = taskview.task_view(kernel, actor(kernel, "committee"), task.id)
    assert view.delegation_state == "pending" and view.verbs == ["urge"] and view.assignee == "secretary2"
