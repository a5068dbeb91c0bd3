"""A villager's comment or complaint (R4 群众监督) is a small procedure of its own: started by the
public for a village, it reaches that village's branch as a task, and the branch's answer is what
the receipt shows. How often one client may comment is the diagram's (commentLimit)."""

from __future__ import annotations

import datetime as dt

import pytest
from support import CreationWalk, actor, table_contents

from xianfeng.engine.errors import DiagramInvalid, FormInvalid, NotFound
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.process import catalog
from xianfeng.engine.services import audit, inbox, setup, village_comments

EAST = 2  # 东风村, a village of the first branch


def test_a_comment_reaches_the_villages_branch_as_a_task_and_its_answer_the_receipt(kernel: Kernel) -> None:
    receipt = village_comments.file_comment(
        kernel, EAST, {"kind": "suggestion", "text": "建议在村部公布责任党员电话。"}
    )
    status = village_comments.comment_status(kernel, receipt["receipt_no"])
    assert (status["village"], status["kind"], status["status"], status["answer"]) == (
        "东风村",
        "suggestion",
        "pending",
        "",
    )
    (task,) = [
        t
        for t in inbox.tasks_for(kernel, actor(kernel, "secretary1"))
        if t.instance_id == receipt["instance_id"]
    ]
    assert task.spec_id == "Task_answer_comment"
    assert not [
        t
        for t in inbox.tasks_for(kernel, actor(kernel, "secretary2"))
        if t.instance_id == receipt["instance_id"]
    ]
    walk = CreationWalk(kernel)
    walk.instance_id = receipt["instance_id"]
    outcome = walk.complete("secretary1", {"answer": "已在村部公示栏公布。"}, "Task_answer_comment")
    assert outcome.outcome == "answered"
    answered = village_comments.comment_status(kernel, receipt["receipt_no"])
    assert (answered["status"], answered["answer"]) == ("answered", "已在村部公示栏公布。")
    assert answered["answered_at"] is not None and answered["answered_at"] > dt.datetime(
        2026, 1, 1, tzinfo=dt.UTC
    )
    assert audit.verify(kernel).ok


def test_a_comment_is_checked_by_the_procedures_start_form_and_a_bad_one_keeps_nothing(
    kernel: Kernel,
) -> None:
    before = table_contents(kernel)
    with pytest.raises(FormInvalid) as refused:
        village_comments.file_comment(kernel, EAST, {"kind": "praise", "text": "好"})
    assert {"kind", "text"} <= set(refused.value.errors)
    with pytest.raises(NotFound):
        village_comments.file_comment(kernel, 999, {"kind": "opinion", "text": "这个村不存在吗？"})
    assert table_contents(kernel) == before


def test_the_comment_limit_is_the_diagrams_and_one_that_does_not_read_is_refused(kernel: Kernel) -> None:
    quota = village_comments.comment_quota(kernel)
    assert quota is not None and (quota.limit, quota.window) == (5, dt.timedelta(hours=1))
    files = catalog.builtin_files()
    text = files["public_comment.bpmn"].decode()
    with pytest.raises(DiagramInvalid, match="commentLimit"):
        setup.deploy(
            kernel,
            {**files, "public_comment.bpmn": text.replace('"5/PT1H"', '"five an hour"').encode()},
            "admin",
        )
    setup.deploy(
        kernel, {**files, "public_comment.bpmn": text.replace('"5/PT1H"', '"2/P1D"').encode()}, "admin"
    )
    quota = village_comments.comment_quota(kernel)
    assert quota is not None and (quota.limit, quota.window) == (2, dt.timedelta(days=1))
