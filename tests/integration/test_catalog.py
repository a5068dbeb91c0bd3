"""Deploying diagrams: broken ones are refused precisely and store nothing; versions pin instances."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from support import CreationWalk, actor, table_contents

from xianfeng.engine.errors import DiagramInvalid, InstanceTooDeep
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ProcessDefinition, ProcessInstance, ProcessVersion
from xianfeng.engine.process.catalog import Catalog, builtin_files
from xianfeng.engine.services import setup, tasks


def _with(name: str, transform: object) -> dict[str, bytes]:
    files = builtin_files()
    text = files[name].decode()
    files[name] = (transform(text) if callable(transform) else str(transform)).encode()  # type: ignore[operator]
    return files


def _refused(kernel: Kernel, files: dict[str, bytes]) -> DiagramInvalid:
    before = table_contents(kernel)
    with pytest.raises(DiagramInvalid) as refused:
        setup.deploy(kernel, files, "admin")
    assert table_contents(kernel) == before
    return refused.value


def test_malformed_xml_is_refused_with_its_line(kernel: Kernel) -> None:
    files = _with("approval.bpmn", lambda t: t.replace("</bpmn:userTask>", "</bpmn:userTaskX>", 1))
    problem = _refused(kernel, files).problems[0]
    assert problem[0].file == "approval.bpmn" and problem[0].line is not None
    assert "not well-formed XML" in problem[1]


def test_schema_violation_names_file_line_and_element(kernel: Kernel) -> None:
    files = _with(
        "approval.bpmn",
        lambda t: t.replace(
            "<bpmn:incoming>Flow_approval_start</bpmn:incoming>",
            "<bpmn:incoming>Flow_approval_start</bpmn:incoming><bpmn:bogus/>",
        ),
    )
    location, message = _refused(kernel, files).problems[0]
    assert location.file == "approval.bpmn" and isinstance(location.line, int)
    assert "bogus" in message


def test_a_script_the_sandbox_refuses_is_reported_at_its_element(kernel: Kernel) -> None:
    files = _with(
        "model_post_creation.bpmn", lambda t: t.replace("return_count = 0", "import os\nreturn_count = 0", 1)
    )
    (location, message), *_ = _refused(kernel, files).problems
    assert (location.file, location.element) == ("model_post_creation.bpmn", "Script_prepare")
    text = files["model_post_creation.bpmn"].decode()
    assert location.line == text[: text.index('id="Script_prepare"')].count("\n") + 1
    assert "refused by the sandbox" in message


def test_a_gateway_condition_escaping_the_sandbox_is_refused(kernel: Kernel) -> None:
    files = _with(
        "model_post_creation.bpmn",
        lambda t: t.replace('evaluation_result == "passed"', "().__class__.__base__", 1),
    )
    (location, message), *_ = _refused(kernel, files).problems
    assert location.element == "Gateway_evaluation" and "condition of the flow" in message


def test_an_unknown_form_is_refused(kernel: Kernel) -> None:
    files = _with("approval.bpmn", lambda t: t.replace('value="approval.json"', 'value="missing.json"'))
    (location, message), *_ = _refused(kernel, files).problems
    assert location.element == "Task_committee_decision"
    assert "form 'missing.json'" in message


def test_a_service_operation_off_the_whitelist_is_refused(kernel: Kernel) -> None:
    files = _with(
        "model_post_creation.bpmn",
        lambda t: t.replace('serviceTaskOperator id="establish_post"', 'serviceTaskOperator id="rm_rf"'),
    )
    (location, message), *_ = _refused(kernel, files).problems
    assert location.element == "Service_establish_post" and "'rm_rf', not a whitelisted operation" in message


def test_a_call_to_a_missing_process_is_refused(kernel: Kernel) -> None:
    files = _with(
        "model_post_creation.bpmn", lambda t: t.replace('calledElement="approval"', 'calledElement="nope"')
    )
    messages = [m for _loc, m in _refused(kernel, files).problems]
    assert any("nope" in m for m in messages), messages


def test_a_user_task_in_an_unknown_lane_is_refused(kernel: Kernel) -> None:
    files = _with("approval.bpmn", lambda t: t.replace('name="committee"', 'name="镇党委"'))
    (location, message), *_ = _refused(kernel, files).problems
    assert location.element == "Task_committee_decision" and "lane '镇党委'" in message


def test_a_broken_decision_cell_is_refused_at_its_rule(kernel: Kernel) -> None:
    files = _with(
        "nomination_evaluation.dmn",
        lambda t: t.replace("<text>&gt;= 80</text>", "<text>&gt;= __x__</text>", 1),
    )
    (location, message), *_ = _refused(kernel, files).problems
    assert (location.file, location.element) == ("nomination_evaluation.dmn", "Rule_passed")
    assert "input entry is refused by the sandbox" in message


def test_a_broken_form_file_is_refused(kernel: Kernel) -> None:
    files = _with("consent.json", '{"id": "consent"')
    (location, message), *_ = _refused(kernel, files).problems
    assert location.file == "consent.json" and "JSON" in message


def test_redeploying_unchanged_files_creates_no_version(kernel: Kernel) -> None:
    assert not any(d.new for d in setup.deploy(kernel, builtin_files(), "admin"))


def test_changing_a_called_process_versions_its_callers_only(kernel: Kernel) -> None:
    files = _with("approval.bpmn", lambda t: t.replace('value="10"', 'value="7"'))
    deployed = {
        d.process_key: d for d in setup.deploy(kernel, files, "admin", "approval within 7 working days")
    }
    assert deployed["approval"].new and deployed["approval"].version == 2
    assert deployed["model_post_creation"].new and deployed["model_post_creation"].version == 2
    assert not deployed["public_notice"].new


def test_running_instances_keep_their_version_and_new_ones_take_the_new(kernel: Kernel) -> None:
    old = CreationWalk(kernel)
    old.start()
    files = _with(
        "model_post_creation.bpmn", lambda t: t.replace("evaluation_days = 10", "evaluation_days = 3")
    )
    setup.deploy(kernel, files, "admin")
    new = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    new.start()
    assert old.show()["process_version"]["version"] == 1 and new.show()["process_version"]["version"] == 2
    assert old.show()["data"]["evaluation_days"] == 10 and new.show()["data"]["evaluation_days"] == 3
    old.evaluate()
    assert old.show()["timers"], "the old instance went on with its own diagram"
    with kernel.db.unit_of_work(write=False) as uow:
        current = uow.session.get(ProcessDefinition, "model_post_creation")
        versions = (
            uow.session.execute(
                sa.select(ProcessVersion.version).where(ProcessVersion.process_key == "model_post_creation")
            )
            .scalars()
            .all()
        )
    assert current is not None and sorted(versions) == [1, 2]


LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="loop_forever" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l" name="branch">
        <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>t</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>c</bpmn:flowNodeRef><bpmn:flowNodeRef>g</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>e</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="t" name="again">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="objection_review.json"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="c">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>rounds = 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="g" default="f4">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="e"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="c"/>
    <bpmn:sequenceFlow id="f3" sourceRef="c" targetRef="g"/>
    <bpmn:sequenceFlow id="f4" sourceRef="g" targetRef="t"/>
    <bpmn:sequenceFlow id="f5" sourceRef="g" targetRef="e">
      <bpmn:conditionExpression>upheld</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>"""


def test_an_instance_nearing_the_depth_limit_fails_loudly_and_keeps_its_state(kernel: Kernel) -> None:
    files = builtin_files()
    files["loop_forever.bpmn"] = LOOP.encode()
    setup.deploy(kernel, files, "admin")
    secretary = actor(kernel, "secretary1")
    outcome = tasks.start(kernel, secretary, "loop_forever", {})
    answer = {"upheld": False, "finding": "again and again", "answer": "again and again"}
    task_id, steps = outcome.next_tasks[0].id, 0
    with pytest.raises(InstanceTooDeep) as refused:
        while True:
            task_id = tasks.complete(kernel, secretary, task_id, answer).next_tasks[0].id
            steps += 1
    assert 200 < steps < 300, steps  # 4 levels per round: refused near depth 800, long before 1000
    assert re.search(r"task depth 8\d\d", refused.value.message)
    view_before = table_contents(kernel)
    with pytest.raises(InstanceTooDeep):
        tasks.complete(kernel, secretary, task_id, answer)
    assert table_contents(kernel) == view_before


def test_warming_loads_the_current_versions_and_those_running_instances_are_pinned_to(
    kernel: Kernel,
) -> None:
    old = CreationWalk(kernel)
    old.start()
    files = _with(
        "model_post_creation.bpmn", lambda t: t.replace("evaluation_days = 10", "evaluation_days = 3")
    )
    setup.deploy(kernel, files, "admin")
    with kernel.db.unit_of_work(write=False) as uow:
        current = set(uow.session.execute(sa.select(ProcessDefinition.current_version_id)).scalars())
        pinned = uow.session.execute(
            sa.select(ProcessInstance.process_version_id).where(ProcessInstance.id == old.instance_id)
        ).scalar_one()
    assert pinned not in current  # the old instance runs on the version before the new deployment
    warmed = Catalog()
    with kernel.db.unit_of_work(write=False) as uow:
        assert warmed.warm(uow.session) == len(current) + 1
    for version_id in (*current, pinned):
        # no session: a version not loaded by warming would have to be read, and fail here
        assert warmed.get(None, version_id).id == version_id  # type: ignore[arg-type]
