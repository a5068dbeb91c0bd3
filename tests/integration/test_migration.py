"""Migration of running cases to a newer version (SQLite and PostgreSQL): allowed only where nothing
the case did or waits at changes under it, refused naming the element otherwise; a chained event
with its reason, replayed by `verify` across the version boundary."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from support import GOOD, CreationWalk, actor, table_contents

from xianfeng.engine.errors import MigrationRefused, NotAllowed, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, HumanTask, ProcessInstance, ProcessVersion
from xianfeng.engine.services import audit
from xianfeng.engine.services.admin import migration, processes


def _publish(kernel: Kernel, key: str, file: str, old: str, new: str, reason: str) -> None:
    admin = actor(kernel, "admin")
    draft = processes.open_draft(kernel, admin, key)
    text = draft.files[file]
    assert old in text, old
    saved = processes.save_draft(kernel, admin, draft.id, {file: text.replace(old, new, 1)})
    assert saved.problems == []
    processes.publish(kernel, admin, draft.id, reason)


def _seven_day_notices(kernel: Kernel) -> None:
    _publish(
        kernel,
        "public_notice",
        "public_notice.bpmn",
        "    notice_days = 5\n",
        "    notice_days = 7\n",
        "公示期延长",
    )


def _version_of(kernel: Kernel, instance_id: int) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(
            sa.select(ProcessVersion.version)
            .join(ProcessInstance, ProcessInstance.process_version_id == ProcessVersion.id)
            .where(ProcessInstance.id == instance_id)
        ).scalar_one()


def _longer_approval(kernel: Kernel) -> None:
    _publish(
        kernel,
        "approval",
        "approval.bpmn",
        '<spiffworkflow:property name="dueInWorkingDays" value="10" />',
        '<spiffworkflow:property name="dueInWorkingDays" value="15" />',
        "审批期限延长至15个工作日",
    )


def _at_consent(kernel: Kernel, **walker: str) -> CreationWalk:
    walk = CreationWalk(kernel, **walker)
    walk.start()
    walk.evaluate()
    for _round in range(3):  # the evaluation's deadline (where it waits for one), then the notice's end
        if _waits_at(kernel, walk, "Task_consent"):
            return walk
        walk.pass_notice()
    raise AssertionError("the nomination never reached the nominee's consent")


def _waits_at(kernel: Kernel, walk: CreationWalk, spec_id: str) -> bool:
    with kernel.db.unit_of_work(write=False) as uow:
        found = uow.session.execute(
            sa.select(HumanTask.id).where(
                HumanTask.instance_id == walk.instance_id, HumanTask.spec_id == spec_id
            )
        ).first()
    return found is not None


def test_a_case_moves_to_the_newer_approval_and_verifies_across_the_move(backend: Kernel) -> None:
    walk = _at_consent(backend)
    _longer_approval(backend)
    moved = migration.migrate(
        backend, actor(backend, "admin"), walk.instance_id, 2, "按新规定给予15个工作日审批"
    )
    assert _version_of(backend, walk.instance_id) == 2
    with backend.db.unit_of_work(write=False) as uow:
        event = uow.session.get(Event, moved.event_seq)
        assert event is not None and (event.kind, event.actor) == ("migrate", "admin")
        assert json.loads(event.payload)["reason"] == "按新规定给予15个工作日审批"
    walk.consent()
    walk.determine()
    decision = walk.task_of("committee", "Task_committee_decision")
    started = backend.clock.now()
    assert decision.due_at is not None and (decision.due_at - started).days >= 18  # 15 working days, not 10
    walk.decide("approve")
    report = audit.verify(backend)
    assert report.ok, report.problems


def test_a_migration_that_would_change_a_completed_step_is_refused_naming_it(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    with backend.db.unit_of_work(write=False) as uow:
        text = (
            uow.session.execute(
                sa.select(ProcessVersion).where(ProcessVersion.process_key == "model_post_creation")
            )
            .scalars()
            .first()
        )
        assert text is not None
    draft = processes.open_draft(backend, actor(backend, "admin"), "model_post_creation")
    bpmn = draft.files["model_post_creation.bpmn"]
    script = bpmn.index('<bpmn:scriptTask id="Script_prepare"')
    tail = bpmn.index("</bpmn:script>", script)
    changed = bpmn[:tail] + "\nreturn_note = '改'" + bpmn[tail:]
    saved = processes.save_draft(
        backend, actor(backend, "admin"), draft.id, {"model_post_creation.bpmn": changed}
    )
    assert saved.problems == []
    processes.publish(backend, actor(backend, "admin"), draft.id, "准备步骤增加说明")
    before = table_contents(backend)
    with pytest.raises(MigrationRefused, match="Script_prepare: done here, and the new version changes it"):
        migration.migrate(backend, actor(backend, "admin"), walk.instance_id, 2, "尝试迁移")
    assert table_contents(backend) == before


def test_a_migration_needs_an_administrator_a_reason_and_a_newer_version(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    _seven_day_notices(backend)
    before = table_contents(backend)
    with pytest.raises(NotAllowed):
        migration.migrate(backend, actor(backend, "committee"), walk.instance_id, 2, "按新规定执行")
    with pytest.raises(RuleViolation, match="reason"):
        migration.migrate(backend, actor(backend, "admin"), walk.instance_id, 2, "")
    with pytest.raises(RuleViolation, match="newer"):
        migration.migrate(backend, actor(backend, "admin"), walk.instance_id, 1, "回到旧版本")
    assert table_contents(backend) == before


def test_every_case_waiting_at_one_step_moves_each_in_its_own_transaction(backend: Kernel) -> None:
    first = _at_consent(backend)
    second = _at_consent(backend, candidate="member5", evaluators=("member6", "member7", "member8"))
    still = CreationWalk(backend, candidate="member9", evaluators=("member2", "member3", "member4"))
    still.start()  # waits at its evaluation: not among those moved
    _longer_approval(backend)
    report = migration.migrate_waiting_at(
        backend, actor(backend, "admin"), "model_post_creation", "Task_consent", 2, "按新规定执行"
    )
    assert report.moved == [first.instance_id, second.instance_id] and report.refused == {}
    assert {_version_of(backend, first.instance_id), _version_of(backend, second.instance_id)} == {2}
    assert _version_of(backend, still.instance_id) == 1
    assert audit.verify(backend).ok


def test_the_check_says_what_blocks_a_migration_without_moving_anything(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()  # its evaluation is in flight
    ready = _at_consent(backend, candidate="member5", evaluators=("member6", "member7", "member8"))
    _longer_approval(backend)
    before = table_contents(backend)
    found = migration.check(backend, actor(backend, "admin"), walk.instance_id, 2)
    assert not found.allowed
    assert any(
        r.startswith("Task_member_evaluation: a multi-instance activity is in flight") for r in found.reasons
    )
    assert table_contents(backend) == before
    assert migration.check(backend, actor(backend, "admin"), ready.instance_id, 2).allowed
