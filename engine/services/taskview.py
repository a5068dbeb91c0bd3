"""What a page or the API shows about one task: its form, instructions, data so far, who may do
what with it now, and the diagrams of its instance with the steps done and the steps waiting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition

from ..actor import Actor
from ..errors import NotAllowed, NotFound, StaleSubmission, TokenInvalid
from ..kernel import Kernel
from ..models import Artifact, HumanTask, ProcessInstance, ProcessVersion, PublicLink, TaskSigner, User
from ..models.org import ROLE_BRANCH, ROLE_COMMITTEE, ROLE_PUBLIC
from ..process.case_fields import CaseField, case_fields
from ..process.inspection import inspect, task_details
from ..process.moments import element_names, process_names
from ..process.standing import standing
from ..process.task_verbs import allowed_verbs
from . import authz, surveys
from .prefill import Prefill, prefill_for
from .task_locks import why_not_ready


@dataclass(frozen=True)
class TaskView:
    id: str
    instance_id: int
    instance_title: str
    name: str
    name_en: str
    role: str
    spec_id: str
    process_id: str
    form: FormDefinition
    instructions: str
    data: dict[str, Any]
    due_at: Any
    state_version: int
    verbs: list[str]
    return_targets: list[dict[str, str]]
    assignee: str = ""
    owner: str = ""
    delegation_state: str = ""
    assignee_name: str = ""  # the people's names, for pages; `assignee`/`owner` are account names
    owner_name: str = ""
    signers: list[dict[str, Any]] = field(default_factory=list)
    fields: list[CaseField] = field(default_factory=list)  # what the procedure shows of the data
    # What the form opens with (hints, the last submission) and why the task came back, if it did.
    prefill: Prefill = field(default_factory=Prefill)
    instructions_en: str = ""  # the instructions in English, where the diagram gives them


def task_view(kernel: Kernel, actor: Actor, task_id: str) -> TaskView:
    """The task as the actor may see it; refused unless the actor may act, sign or give it back.

    A task already done answers StaleSubmission (who did it and when) to those who may read its
    instance, so a bookmarked or notified task says what became of it; others learn nothing.
    """
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        task, instance = _task(session, actor, task_id)
        signers = _signers(session, task.id)
        pending_signer = any(s["username"] == actor.username and not s["signed"] for s in signers)
        is_delegate = task.delegation_state == "pending" and task.assignee_user_id == actor.user_id
        is_owner = task.delegation_state == "pending" and task.owner_user_id == actor.user_id
        if not (authz.may_act(actor, task, instance) or pending_signer or is_delegate or is_owner):
            raise NotAllowed(f"{actor.username} cannot open task {task.name}", task_id=task.id)
        version = kernel.catalog.get(session, instance.process_version_id)
        details = task_details(version, instance.state_json, task.id)
        form = version.form(task.form)
        people = _accounts(session, [task.assignee_user_id, task.owner_user_id])
        assignee, owner = (
            people.get(task.assignee_user_id, ("", "")),
            people.get(task.owner_user_id, ("", "")),
        )
        return TaskView(
            id=task.id,
            instance_id=instance.id,
            instance_title=instance.title,
            name=task.name,
            name_en=task.name_en,
            role=task.role,
            spec_id=task.spec_id,
            process_id=task.process_id,
            form=form,
            instructions=details.instructions,
            data=details.data,
            due_at=task.due_at,
            state_version=instance.state_version,
            verbs=_verbs(
                actor,
                task,
                instance,
                signers,
                pending_signer,
                is_delegate,
                allowed_verbs(version, task.process_id, task.spec_id),
            ),
            # The steps it may go back to, with their English names: [{"id", "name", "name_en"}].
            return_targets=[
                {**target, "name_en": element_names(version).get(target["id"], ("", ""))[1]}
                for target in details.return_targets
            ],
            assignee=assignee[0],
            owner=owner[0],
            delegation_state=task.delegation_state,
            signers=signers,
            fields=case_fields(version, details.data),
            prefill=prefill_for(session, actor, version, task, form, details.data),
            instructions_en=details.instructions_en,
            assignee_name=assignee[1],
            owner_name=owner[1],
        )


def _task(session: Session, actor: Actor, task_id: str) -> tuple[HumanTask, ProcessInstance]:
    row = session.execute(
        select(HumanTask, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.id == task_id)
    ).first()
    if row is not None:
        return row[0], row[1]
    why = why_not_ready(session, task_id)
    done_in = (
        session.get(ProcessInstance, why.params["instance_id"]) if isinstance(why, StaleSubmission) else None
    )
    if done_in is not None and _may_read(actor, done_in):
        raise why
    raise NotFound(f"no ready task {task_id}", task_id=task_id)


def _may_read(actor: Actor, instance: ProcessInstance) -> bool:
    try:
        authz.check_may_read(actor, instance)
    except NotAllowed:
        return False
    return True


def _signers(session: Session, task_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(TaskSigner, User.username, User.display_name)
        .join(User, User.id == TaskSigner.user_id)
        .where(TaskSigner.task_id == task_id)
        .order_by(TaskSigner.id)
    ).all()
    return [
        {
            "username": name,
            "display_name": shown,
            "reason": s.reason,
            "opinion": s.opinion,
            "signed": s.signed_at is not None,
            "signed_at": s.signed_at,
        }
        for s, name, shown in rows
    ]


def _accounts(session: Session, ids: list[int | None]) -> dict[int | None, tuple[str, str]]:
    """(account name, person's name) by account id, in one query."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username, User.display_name).where(User.id.in_(wanted))).all()
    return {user_id: (username, shown) for user_id, username, shown in rows}


def display_names(session: Session, ids: list[int | None]) -> dict[int | None, str]:
    """People's names by account id (the name the organisation knows them by)."""
    return {user_id: shown for user_id, (_username, shown) in _accounts(session, ids).items()}


def _verbs(
    actor: Actor,
    task: HumanTask,
    instance: ProcessInstance,
    signers: list[dict[str, Any]],
    pending_signer: bool,
    is_delegate: bool,
    allowed: frozenset[str],
) -> list[str]:
    """The verbs the actor may use on this task now, in the order a page shows them: only those
    its diagram allows (`verbs`; a task that belongs to one person is never handed on)."""
    verbs: list[str] = []
    if is_delegate:
        return ["resolve"]
    if task.delegation_state == "pending":
        return ["urge"]  # the owner waits for the delegate; reminding them is all there is to do
    mine = authz.may_act(actor, task, instance)
    if mine:
        if task.delegation_state != "pending" and not any(not s["signed"] for s in signers):
            verbs.append("complete")
        if task.role != ROLE_PUBLIC:
            verbs += [v for v in ("return", "transfer", "delegate", "add_signer") if v in allowed]
    if pending_signer:
        verbs.append("sign")
    # 催办 reminds others: never offered on a task one may do oneself.
    if (
        not mine
        and (
            actor.user_id == instance.started_by
            or actor.has(ROLE_COMMITTEE)
            or (actor.has(ROLE_BRANCH) and actor.branch_id == instance.branch_id)
        )
        and "urge" in allowed
    ):
        verbs.append("urge")
    # 抄送 only for those who take part in procedures (the read-only auditor would be refused).
    if "copy" in allowed and _may_take_part(actor, instance):
        verbs.append("copy")
    return verbs


def _may_take_part(actor: Actor, instance: ProcessInstance) -> bool:
    try:
        authz.check_may_take_part(actor, instance)
    except NotAllowed:
        return False
    return True


@dataclass(frozen=True)
class DiagramView:
    instance_id: int
    process_key: str
    diagrams: dict[str, str]  # process file name -> BPMN XML (the pinned version)
    completed: list[str]
    current: list[str]
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # element -> (name, English name)
    processes: dict[str, str] = field(default_factory=dict)  # process id -> its "中文 English" name


def diagram_view(kernel: Kernel, actor: Actor, instance_id: int) -> DiagramView:
    """The pinned BPMN files of the instance and which elements ran / wait, for the bpmn-js viewer."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"no instance {instance_id}", instance_id=instance_id)
        authz.check_may_read(actor, instance)
        row = session.get(ProcessVersion, instance.process_version_id)
        assert row is not None
        bpmn = [f for f in row.files if f["name"].endswith(".bpmn")]
        contents = {
            a.sha256: a.content
            for a in session.execute(
                select(Artifact).where(Artifact.sha256.in_([f["sha256"] for f in bpmn]))
            ).scalars()
        }
        version = kernel.catalog.get(session, instance.process_version_id)
        view = inspect(version, instance.state_json)
        return DiagramView(
            instance_id=instance.id,
            process_key=instance.process_key,
            diagrams={f["name"]: contents[f["sha256"]].decode("utf-8") for f in bpmn},
            completed=view.completed_elements,
            current=_current(session, version, instance),
            names=element_names(version),
            processes=process_names(version),
        )


def _current(session: Session, version: Any, instance: ProcessInstance) -> list[str]:
    """Where the case waits now: its ready tasks, the timers and messages it waits for (a notice
    period), and the call activities they run inside."""
    ready = list(
        session.execute(
            select(HumanTask.id, HumanTask.spec_id).where(HumanTask.instance_id == instance.id)
        ).all()
    )
    if instance.status not in ("running", "suspended"):
        return [spec for _id, spec in ready]
    found = standing(version, instance.state_json, [task_id for task_id, _spec in ready])
    elements = [spec for _id, spec in ready]
    for point in found.ready.values():
        elements += [call.element for call in point.calls]
    for event in found.waiting:
        elements += [event.spec_id, *(call.element for call in event.calls)]
    return list(dict.fromkeys(e for e in elements if e))


@dataclass(frozen=True)
class PublicTaskView:
    token: str
    task_name: str
    instance_title: str
    form: FormDefinition
    instructions: str
    expires_at: Any
    instructions_en: str = ""


def public_task_view(kernel: Kernel, token: str) -> PublicTaskView:
    """What a villager sees behind a single-use link; a used, closed or expired link says so."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        survey = surveys.find(session, token)
        if survey is not None:
            return _survey_view(kernel, session, token, *survey)
        link = session.get(PublicLink, token)
        from .tasks import check_link

        check_link(link, kernel.clock.now())
        assert link is not None
        row = session.execute(
            select(HumanTask, ProcessInstance)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.id == link.task_id)
        ).first()
        if row is None:
            raise TokenInvalid("this link is closed", reason="closed")
        task, instance = row
        version = kernel.catalog.get(session, instance.process_version_id)
        details = task_details(version, instance.state_json, task.id)
        form = version.form(task.form)
        return PublicTaskView(
            token=token,
            task_name=task.name,
            instance_title=_public_title(details.data, instance.title),
            form=form,
            instructions=details.instructions,
            expires_at=link.expires_at,
            instructions_en=details.instructions_en,
        )


def _survey_view(kernel: Kernel, session: Session, token: str, link: Any, survey: Any) -> PublicTaskView:
    surveys.check_open(link, survey, kernel.clock.now())
    form = surveys.form_of(kernel, session, survey)
    return PublicTaskView(
        token=token,
        task_name=survey.title,
        instance_title=survey.title,
        form=form,
        instructions=form.description.get("zh_CN", ""),
        expires_at=survey.closes_at,
    )


def _public_title(data: dict[str, Any], fallback: str) -> str:
    """The nominee and post, not the internal case title."""
    candidate = data.get("candidate") if isinstance(data.get("candidate"), dict) else None
    if candidate and data.get("post_title"):
        return f"{candidate.get('name', '')} · {data['post_title']}"
    return fallback
