"""Administrators change procedures safely (SQLite and PostgreSQL): a draft is checked on every
save, publishing needs a reason and goes on the chain, running cases keep their version, the
difference between versions is listed, and a what-if says what a draft would change for each case."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from support import CreationWalk, actor, establish_post, table_contents

from xianfeng.engine.errors import NotAllowed, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, PublicNotice
from xianfeng.engine.services import audit
from xianfeng.engine.services.admin import processes, whatif

FIVE_DAYS = "    notice_days = 5\n"
SEVEN_DAYS = "    notice_days = 7\n"


def _seven_day_draft(kernel: Kernel) -> processes.DraftView:
    admin = actor(kernel, "admin")
    draft = processes.open_draft(kernel, admin, "public_notice")
    text = draft.files["public_notice.bpmn"]
    assert FIVE_DAYS in text
    return processes.save_draft(
        kernel, admin, draft.id, {"public_notice.bpmn": text.replace(FIVE_DAYS, SEVEN_DAYS)}
    )


def _notice_days(kernel: Kernel, instance_id: int) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(
            sa.select(PublicNotice.working_days).where(PublicNotice.instance_id == instance_id)
        ).scalar_one()


def test_the_catalogue_lists_every_process_with_its_versions_and_cases(backend: Kernel) -> None:
    CreationWalk(backend).start()
    entries = {e.process_key: e for e in processes.catalogue(backend, actor(backend, "auditor"))}
    creation = entries["model_post_creation"]
    assert creation.current_version == 1 and creation.name
    (version,) = creation.versions
    assert (version.current, version.running, version.ended, version.deployed_by) == (True, 1, 0, "system")
    with pytest.raises(NotAllowed):
        processes.catalogue(backend, actor(backend, "member1"))


def test_a_notice_running_keeps_five_days_and_a_new_one_gets_seven_after_publishing(backend: Kernel) -> None:
    running = CreationWalk(backend)
    running.start()
    running.evaluate()
    draft = _seven_day_draft(backend)
    assert draft.problems == [] and draft.changed == ["public_notice.bpmn"]
    changes = processes.diff_draft(backend, actor(backend, "admin"), draft.id)
    (notice_file,) = changes
    (script,) = notice_file.changed["Script_notice_period"]
    assert script.name == "script" and "notice_days = 5" in script.old and "notice_days = 7" in script.new

    before = table_contents(backend)
    with pytest.raises(RuleViolation, match="reason"):
        processes.publish(backend, actor(backend, "admin"), draft.id, " ")
    with pytest.raises(NotAllowed):
        processes.publish(backend, actor(backend, "committee"), draft.id, "公示期延长至7个工作日")
    assert table_contents(backend) == before

    deployed = processes.publish(backend, actor(backend, "admin"), draft.id, "公示期延长至7个工作日")
    new = {d.process_key: d.version for d in deployed if d.new}
    assert new == {"public_notice": 2, "model_post_creation": 2, "responsibility_area_review": 2}
    later = CreationWalk(backend, candidate="member5", evaluators=("member6", "member7", "member8"))
    later.start()
    later.evaluate()
    assert (_notice_days(backend, running.instance_id), _notice_days(backend, later.instance_id)) == (5, 7)

    with backend.db.unit_of_work(write=False) as uow:
        event = (
            uow.session.execute(sa.select(Event).where(Event.kind == "deploy").order_by(Event.seq.desc()))
            .scalars()
            .first()
        )
    assert event is not None and event.actor == "admin" and event.role == "admin"
    assert json.loads(event.payload)["reason"] == "公示期延长至7个工作日"
    versions = processes.catalogue(backend, actor(backend, "admin"))
    creation = next(e for e in versions if e.process_key == "model_post_creation")
    assert [(v.version, v.current, v.running, v.reason) for v in creation.versions] == [
        (2, True, 1, "公示期延长至7个工作日"),
        (1, False, 1, "shipped defaults"),
    ]
    assert audit.verify(backend).ok


def test_a_draft_with_a_gateway_left_without_an_outgoing_flow_is_saved_but_never_published(
    backend: Kernel,
) -> None:
    admin = actor(backend, "admin")
    draft = processes.open_draft(backend, admin, "public_notice")
    text = draft.files["public_notice.bpmn"].replace(
        'targetRef="Gateway_notice_wait" />', 'targetRef="Nowhere" />', 1
    )
    saved = processes.save_draft(backend, admin, draft.id, {"public_notice.bpmn": text})
    (problem,) = saved.problems
    assert problem.file == "public_notice.bpmn" and problem.element and problem.element.startswith("Flow_")
    assert "goes to 'Nowhere'" in problem.message and problem.line is not None
    before = table_contents(backend)
    with pytest.raises(Exception, match="Nowhere"):
        processes.publish(backend, admin, draft.id, "改动公示流程")
    assert table_contents(backend) == before


def test_the_difference_of_two_versions_lists_changed_properties(backend: Kernel) -> None:
    draft = _seven_day_draft(backend)
    processes.publish(backend, actor(backend, "admin"), draft.id, "公示期延长至7个工作日")
    (notice_file,) = processes.diff(backend, actor(backend, "auditor"), "public_notice", 1, 2)
    assert notice_file.file == "public_notice.bpmn" and list(notice_file.changed) == ["Script_notice_period"]
    assert notice_file.added == [] and notice_file.removed == []


def test_what_if_says_which_cases_a_longer_notice_would_change(backend: Kernel) -> None:
    establish_post(backend)  # a finished case whose notice ended after 5 working days
    running = CreationWalk(backend, candidate="member5", evaluators=("member6", "member7", "member8"))
    running.start()
    running.evaluate()  # its notice runs now
    waiting = CreationWalk(backend, candidate="member9", evaluators=("member2", "member3", "member4"))
    waiting.start()  # still at its evaluation: the notice is not reached yet
    draft = _seven_day_draft(backend)
    report = whatif.for_draft(backend, actor(backend, "admin"), draft.id)
    assert report.affected == ["model_post_creation", "public_notice", "responsibility_area_review"]
    verdicts = {case.instance_id: case for case in report.cases}
    assert verdicts[running.instance_id].verdict == "different_deadlines"
    assert "→" in verdicts[running.instance_id].detail
    assert verdicts[waiting.instance_id].verdict == "same"
    finished = next(c for c in report.cases if c.status == "completed")
    assert (
        finished.verdict == "different_path" and "本人确认" in finished.detail
    ) or "Task_consent" in finished.detail
    assert table_contents(backend) == table_contents(backend)  # nothing written: compared below
    before = table_contents(backend)
    whatif.for_draft(backend, actor(backend, "admin"), draft.id)
    assert table_contents(backend) == before


def test_what_if_names_the_field_a_changed_form_no_longer_accepts(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    admin = actor(backend, "admin")
    draft = processes.open_draft(backend, admin, "model_post_creation")
    form = json.loads(draft.files["consent.json"])
    form["schema"]["properties"]["pledge"]["minLength"] = 200
    saved = processes.save_draft(
        backend, admin, draft.id, {"consent.json": json.dumps(form, ensure_ascii=False)}
    )
    assert saved.problems == []
    report = whatif.for_draft(backend, admin, draft.id)
    (case,) = [c for c in report.cases if c.instance_id == walk.instance_id]
    assert (
        case.verdict == "inputs_no_longer_fit" and "consent.json" in case.detail and "pledge" in case.detail
    )
