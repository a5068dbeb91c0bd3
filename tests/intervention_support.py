"""Helpers the intervention tests of the pages, the API and the browser share (this module holds no
tests): newer versions published the way an administrator publishes them, a case walked to the
nominee's consent or on to the branch's 支部确定名单 (a task its diagram lets be handed on and
completed on someone's behalf, unlike an evaluator's own 党员测评), a deputy secretary made by the
administrator, and a case whose timer is long overdue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from support import CreationWalk, actor

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import HumanTask, TimerRow
from xianfeng.engine.services.admin import accounts_admin, processes
from xianfeng.engine.services.admin.accounts_admin import AccountSpec

CASES = "model_post_creation"  # the process of the cases these tests walk
PREPARE = "Script_prepare"
PREPARE_NAME = "设定返回上限"
DETERMINE = "Task_determine_list"  # the branch's 支部确定名单: transfer and delegate allowed
DETERMINED = {
    "include": True,
    "post_title": "便民服务示范岗",
    "responsibilities": "负责村便民服务站日常工作，每周两次入户走访。",
}


def publish_edit(kernel: Kernel, key: str, file: str, edit: Callable[[str], str], reason: str) -> int:
    """Publish a version of `key` with `file` edited, as an administrator; the version number of
    model_post_creation it makes (a called process's change is a new version of its callers)."""
    admin = actor(kernel, "admin")
    draft = processes.open_draft(kernel, admin, key)
    saved = processes.save_draft(kernel, admin, draft.id, {file: edit(draft.files[file])})
    assert saved.problems == []
    published = {
        v.process_key: v.version for v in processes.publish(kernel, admin, draft.id, reason) if v.new
    }
    return published[CASES]


def publish_changed(kernel: Kernel, key: str, file: str, old: str, new: str, reason: str) -> int:
    def replaced(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return publish_edit(kernel, key, file, replaced, reason)


def _prepare_changed(bpmn: str) -> str:
    script = bpmn.index(f'<bpmn:scriptTask id="{PREPARE}"')
    tail = bpmn.index("</bpmn:script>", script)
    return bpmn[:tail] + "\nreturn_note = '改'" + bpmn[tail:]


def publish_changed_prepare(kernel: Kernel) -> int:
    """A newer model_post_creation whose preparing script (done by every started case) changes."""
    return publish_edit(
        kernel, "model_post_creation", "model_post_creation.bpmn", _prepare_changed, "准备步骤增加说明"
    )


def publish_longer_approval(kernel: Kernel) -> int:
    """A newer approval with 15 working days for the committee: a model_post_creation case that
    has not reached it yet may move to the version that calls it."""
    return publish_changed(
        kernel,
        "approval",
        "approval.bpmn",
        '<spiffworkflow:property name="dueInWorkingDays" value="10" />',
        '<spiffworkflow:property name="dueInWorkingDays" value="15" />',
        "审批期限延长至15个工作日",
    )


def waits_at(kernel: Kernel, instance_id: int, spec_id: str) -> bool:
    with kernel.db.unit_of_work(write=False) as uow:
        found = uow.session.execute(
            sa.select(HumanTask.id).where(HumanTask.instance_id == instance_id, HumanTask.spec_id == spec_id)
        ).first()
    return found is not None


def at_consent(kernel: Kernel, **walker: str) -> CreationWalk:
    """A nomination evaluated and through its notice, waiting for the nominee's consent."""
    walk = CreationWalk(kernel, **walker)  # type: ignore[arg-type]
    walk.start()
    walk.evaluate()
    for _round in range(3):  # the evaluation's deadline (where it waits for one), then the notice's end
        if waits_at(kernel, walk.instance_id, "Task_consent"):
            return walk
        walk.pass_notice()
    raise AssertionError("the nomination never reached the nominee's consent")


def at_determine(kernel: Kernel, **walker: str) -> CreationWalk:
    """A nomination the nominee has consented to, waiting for the branch to determine the list."""
    walk = at_consent(kernel, **walker)
    walk.consent()
    assert waits_at(kernel, walk.instance_id, DETERMINE)
    return walk


def make_deputy(kernel: Kernel, username: str = "member6") -> None:
    """Give a member the branch role too (a deputy secretary of their branch), as an administrator
    does on the account's page: a journaled change, so a branch task has someone to go to."""
    admin = actor(kernel, "admin")
    user_id = accounts_admin.user_id_of(kernel, username)
    row = accounts_admin.account_detail(kernel, admin, user_id).account
    spec = AccountSpec(username, row.display_name, ["branch", "member"], None, row.member_code)
    accounts_admin.update_account(kernel, admin, user_id, spec, "担任支部副书记")


def make_stuck(kernel: Kernel, instance_id: int) -> dt.datetime:
    """Move the clock eleven minutes past the case's first timer without firing it: the case is
    listed as stuck, as one whose step kept failing would be. Returns the timer's due time."""
    with kernel.db.unit_of_work(write=False) as uow:
        due = uow.session.execute(
            sa.select(sa.func.min(TimerRow.due_at)).where(TimerRow.instance_id == instance_id)
        ).scalar_one()
    assert due is not None
    kernel.clock.set(due + dt.timedelta(minutes=11))  # type: ignore[attr-defined]
    return due
