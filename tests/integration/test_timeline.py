"""History at any point: a case replayed to any of its events shows what the inbox, the diagram and
the data were then — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from support import CreationWalk, actor, ready_rows

from xianfeng.engine.errors import NotAllowed, NotFound
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, ProcessInstance, ProcessVersion, User
from xianfeng.engine.services import verbs
from xianfeng.engine.services.audit.timeline import CaseHistory, case_at

InboxRow = tuple[str, str, str, int | None, dt.datetime | None]


@dataclass
class RecordingWalk(CreationWalk):
    """A creation walk that keeps what the inbox table held right after each event."""

    inbox: dict[int, set[InboxRow]] = field(default_factory=dict)

    def _after(self, outcome: Any) -> Any:
        result = super()._after(outcome)
        self.record()
        return result

    def record(self) -> None:
        with self.kernel.db.unit_of_work(write=False) as uow:
            events = uow.session.get(ProcessInstance, self.instance_id).version  # type: ignore[union-attr]
        self.inbox[events] = {
            (row.id, row.spec_id, row.role, row.assignee_user_id, row.due_at)
            for row in ready_rows(self.kernel, self.instance_id)
        }

    def verb(self, do: Any) -> None:
        do()
        self.record()


def user_id(kernel: Kernel, username: str) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(sa.select(User.id).where(User.username == username)).scalar_one())


def display_name(kernel: Kernel, username: str) -> str:
    with kernel.db.unit_of_work(write=False) as uow:
        return str(
            uow.session.execute(sa.select(User.display_name).where(User.username == username)).scalar_one()
        )


def walked_with_a_delegation(kernel: Kernel) -> RecordingWalk:
    """Nominated, evaluated, noticed, consented; the list delegated to a member and given back; urged;
    determined; returned by the committee; determined again; approved."""
    walk = RecordingWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    task = walk.task_of("secretary1", "Task_determine_list").id
    walk.verb(
        lambda: verbs.delegate(kernel, actor(kernel, "secretary1"), task, "member5", "请先核实岗位职责")
    )
    walk.verb(lambda: verbs.resolve_delegation(kernel, actor(kernel, "member5"), task, "已核实，职责属实"))
    walk.verb(lambda: verbs.urge(kernel, actor(kernel, "committee"), task, "请尽快确定名单"))
    walk.determine()
    walk.decide("return")
    walk.determine()
    walk.decide("approve")
    return walk


def at(walk: CreationWalk, position: int | None = None, who: str = "auditor") -> CaseHistory:
    return case_at(walk.kernel, actor(walk.kernel, who), walk.instance_id, position)


def event_of(walk: CreationWalk, kind: str, element: str = "", nth: int = 0) -> int:
    found = [e.instance_version for e in at(walk).events if e.kind == kind and e.element.startswith(element)]
    return found[nth]


def test_the_open_tasks_after_each_event_are_what_the_inbox_held(backend: Kernel) -> None:
    walk = walked_with_a_delegation(backend)
    assert len(walk.inbox) == len(at(walk).events) == 18
    for position, held in walk.inbox.items():
        moment = at(walk, position).moment
        assert moment is not None, position
        replayed = {(t.id, t.spec_id, t.role, t.assignee_user_id, t.due_at) for t in moment.open_tasks}
        assert replayed == held, f"after event {position}"
    assert any(len(held) == 8 for held in walk.inbox.values())  # 3 members and 5 villagers evaluating


def test_a_delegation_changes_who_holds_the_task_but_not_the_state(kernel: Kernel) -> None:
    walk = walked_with_a_delegation(kernel)
    delegated = at(walk, event_of(walk, "delegate"))
    assert delegated.moment is not None
    (task,) = delegated.moment.open_tasks
    assert task.spec_id == "Task_determine_list" and task.delegation_state == "pending"
    assert task.assignee_user_id == user_id(kernel, "member5")
    assert task.assignee_name == display_name(kernel, "member5")
    assert task.owner_name == display_name(kernel, "secretary1")
    assert delegated.moment.event.changes_state is False
    assert not any(f.changed for f in delegated.moment.fields)
    (given_back,) = at(walk, event_of(walk, "resolve")).moment.open_tasks  # type: ignore[union-attr]
    assert given_back.assignee_user_id == user_id(kernel, "secretary1")


def test_the_diagram_marks_what_was_done_and_what_waited_then(kernel: Kernel) -> None:
    walk = walked_with_a_delegation(kernel)
    first = at(walk, 1)
    assert first.moment is not None
    assert {"Task_member_evaluation", "Task_public_evaluation", "Timer_evaluation_deadline"} <= set(
        first.moment.current
    )
    assert "Start_nomination" in first.moment.completed and "Task_consent" not in first.moment.completed
    assert first.processes == ["model_post_creation", "nominee_evaluation"]
    (evaluation,) = first.moment.called
    assert evaluation.call_element == "Call_evaluation" and evaluation.running
    consented = at(walk, event_of(walk, "complete", "Task_consent")).moment
    assert consented is not None
    assert "Task_consent" in consented.completed and consented.current == ["Task_determine_list"]
    noticed = at(walk, event_of(walk, "complete", "Task_public_evaluation", nth=4)).moment
    assert noticed is not None
    (gateway,) = noticed.waiting
    assert gateway.kind == "several" and gateway.messages == ("objection_filed",)
    assert gateway.due_at == dt.datetime(2026, 12, 3, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_the_data_after_the_committee_decision_holds_the_decision(backend: Kernel) -> None:
    walk = walked_with_a_delegation(backend)
    returned = event_of(walk, "complete", "Task_committee_decision")
    before = at(walk, returned - 1).moment
    after = at(walk, returned).moment
    assert before is not None and after is not None
    assert "approval" not in before.data
    assert after.data["approval"]["decision"] == "return"
    decision = next(f for f in after.fields if f.path == "approval.decision")
    assert decision.label == {"zh_CN": "审批决定", "en": "Decision"}
    assert decision.options["return"] == {"zh_CN": "退回修改", "en": "Return for revision"}
    assert decision.changed
    assert not next(f for f in after.fields if f.path == "post_title").changed
    candidate = next(f for f in after.fields if f.path == "candidate_member_id")
    assert (
        candidate.label["zh_CN"] == "候选党员"
        and "李志强" in candidate.options[str(candidate.value)]["zh_CN"]
    )
    final = at(walk).moment
    assert final is not None and final.finished and final.outcome == "established"
    assert final.data["approval"]["decision"] == "approve" and not final.open_tasks


def test_each_event_names_who_acted_in_which_role_on_which_version(kernel: Kernel) -> None:
    walk = walked_with_a_delegation(kernel)
    case = at(walk)
    with kernel.db.unit_of_work(write=False) as uow:
        instance = uow.session.get(ProcessInstance, walk.instance_id)
        pinned = uow.session.get(ProcessVersion, instance.process_version_id)  # type: ignore[union-attr]
        assert pinned is not None
    start = case.events[0]
    assert (start.kind, start.actor, start.role) == ("start", "secretary1", "branch")
    assert start.actor_name == display_name(kernel, "secretary1") != "secretary1"
    assert start.task_name == "支部酝酿讨论，推荐候选人" and start.element == "Start_nomination"
    assert {(e.process_version, e.bundle_hash) for e in case.events} == {(pinned.version, pinned.bundle_hash)}
    tick = next(e for e in case.events if e.kind == "tick")
    assert tick.actor == "system" and tick.element == "Gateway_notice_wait" and tick.task_name == "公示期间"
    public = next(e for e in case.events if e.element == "Task_public_evaluation")
    assert (public.actor, public.role, public.task_name_en) == (
        "public",
        "public",
        "Evaluation by the public",
    )
    assert all(e.replay == "ok" and not e.problem for e in case.events)
    assert [e.instance_version for e in case.events] == list(range(1, 19))


def test_an_auditor_reads_another_branchs_case_and_a_member_of_another_branch_may_not(
    backend: Kernel,
) -> None:
    walk = RecordingWalk(backend)
    walk.start()
    assert at(walk, who="auditor").moment is not None
    assert at(walk, who="member5").position == 1  # a member of the case's own branch
    for outsider in ("secretary2", "member11"):
        with pytest.raises(NotAllowed):
            at(walk, who=outsider)


def test_an_event_number_the_case_does_not_have_is_not_found(kernel: Kernel) -> None:
    walk = RecordingWalk(kernel)
    walk.start()
    with pytest.raises(NotFound, match="no event 2: its events are numbered 1 to 1"):
        at(walk, 2)
    with pytest.raises(NotFound):
        case_at(kernel, actor(kernel, "auditor"), 999)


def _tamper(kernel: Kernel, instance_id: int, position: int, change: Any) -> None:
    with kernel.db.engine.begin() as connection:
        where = (Event.instance_id == instance_id) & (Event.instance_version == position)
        payload = json.loads(connection.execute(sa.select(Event.payload).where(where)).scalar_one())
        change(payload)
        connection.execute(sa.update(Event).where(where).values(payload=json.dumps(payload)))


def test_a_tampered_event_shows_where_replay_fails_and_why(backend: Kernel) -> None:
    walk = walked_with_a_delegation(backend)
    returned = event_of(walk, "complete", "Task_committee_decision")
    _tamper(backend, walk.instance_id, returned, lambda p: p["data"].update(decision="reject"))

    case = at(walk)
    assert case.moment is None
    assert case.failure.startswith(f"event {returned}: ")
    by_number = {e.instance_version: e for e in case.events}
    assert all(by_number[n].replay == "ok" for n in range(1, returned))
    broken = by_number[returned]
    assert broken.replay == "failed"
    assert "does not match its hash (the row was edited)" in broken.problem
    assert "replay failed" in broken.problem or "differs from the logged" in broken.problem
    assert broken.payload["data"]["decision"] == "reject"  # what the row says now, shown as it is
    assert {by_number[n].replay for n in range(returned + 1, len(case.events) + 1)} == {"not_replayed"}
    assert at(walk, returned).moment is None
    before = at(walk, returned - 1).moment
    assert before is not None and [t.spec_id for t in before.open_tasks] == ["Task_committee_decision"]


def test_a_payload_that_is_not_json_is_reported_not_raised(kernel: Kernel) -> None:
    walk = RecordingWalk(kernel)
    walk.start()
    walk.complete("member2", {"political": 5, "work": 5, "service": 4, "conduct": 5, "discipline": 5})
    with kernel.db.engine.begin() as connection:
        connection.execute(
            sa.update(Event)
            .where(Event.instance_id == walk.instance_id, Event.instance_version == 2)
            .values(payload="{not json")
        )
    case = at(walk)
    assert case.moment is None and case.events[1].replay == "failed" and case.events[1].payload == "{not json"
    assert "replay failed" in case.events[1].problem
