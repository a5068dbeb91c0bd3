"""What an administrator reads before intervening in a case: its open tasks with the people each
could be given to and the form it would be completed with, the newer versions the case could move
to, whether its due step keeps failing, and what a migration would say with the steps named.

Read-only: the interventions themselves (`interventions`, `migration`) decide and write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition

from ...actor import Actor
from ...errors import NotFound
from ...kernel import Kernel
from ...models import HumanTask, ProcessInstance, ProcessVersion, TimerRow, User, UserRole
from ...models.org import ROLE_BRANCH, ROLE_MEMBER, ROLE_PUBLIC
from ...process.inspection import task_details
from ...process.moments import element_names
from ...process.task_verbs import allowed_verbs
from ..taskview import display_names
from . import interventions, migration
from .interventions import STUCK_AFTER, check_admin, check_hands_on


@dataclass(frozen=True)
class Candidate:
    """An account that may be given a task: it holds the task's role within the case's scope."""

    username: str
    name: str


@dataclass(frozen=True)
class OpenTask:
    id: str
    instance_id: int
    instance_title: str
    branch_id: int | None  # the case's branch: where a form's member lists come from
    name: str
    name_en: str
    role: str
    spec_id: str
    due_at: dt.datetime | None
    assignee: str  # the person's name, "" when anyone holding the role may act
    candidates: list[Candidate]
    form: FormDefinition | None
    instructions: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    may_reassign: bool = True  # the diagram lets the task be handed on (转办)
    may_complete: bool = True  # and completed on its holder's behalf (委派)


@dataclass(frozen=True)
class NewerVersion:
    version: int
    deployed_at: dt.datetime
    deployed_by: str
    reason: str


@dataclass(frozen=True)
class StuckStep:
    """A case's timed step that fell due long ago and has not run: it keeps failing."""

    instance_id: int
    title: str
    due_at: dt.datetime
    element: str
    name: str
    name_en: str


@dataclass(frozen=True)
class InterventionPanel:
    instance_id: int
    title: str
    status: str
    process_key: str
    version: int
    tasks: list[OpenTask]
    newer: list[NewerVersion]
    stuck: StuckStep | None


@dataclass(frozen=True)
class Blocking:
    """One step that stops a migration, with its name in the diagram."""

    element: str
    name: str
    name_en: str
    reason: str


@dataclass(frozen=True)
class MigrationPreview:
    instance_id: int
    title: str
    from_version: int
    to_version: int
    to_reason: str  # why the target version was published
    allowed: bool
    blocking: list[Blocking]
    reasons: list[str]  # refusals that name no step (e.g. the history takes another path)


def _instance(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"no case {instance_id}", instance_id=instance_id)
    return instance


def candidates(session: Session, task: HumanTask, instance: ProcessInstance) -> list[Candidate]:
    """Active accounts holding the task's role, within the case's branch for branch and member
    tasks (the rule `interventions.reassign` applies), but the one it is assigned to."""
    query = (
        select(User.username, User.display_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == task.role, User.active.is_(True))
        .order_by(User.username)
    )
    if task.role in (ROLE_BRANCH, ROLE_MEMBER):
        query = query.where(User.branch_id == instance.branch_id)
    if task.assignee_user_id is not None:  # it is theirs already
        query = query.where(User.id != task.assignee_user_id)
    return [Candidate(username, name or username) for username, name in session.execute(query).all()]


def _open_task(
    session: Session, kernel: Kernel, task: HumanTask, instance: ProcessInstance, details: bool = False
) -> OpenTask:
    version = kernel.catalog.get(session, instance.process_version_id)
    form = version.forms.get(task.form) if task.form else None
    found = task_details(version, instance.state_json, task.id) if details else None
    verbs = allowed_verbs(version, task.process_id, task.spec_id)
    return OpenTask(
        id=task.id,
        instance_id=instance.id,
        instance_title=instance.title,
        branch_id=instance.branch_id,
        name=task.name,
        name_en=task.name_en,
        role=task.role,
        spec_id=task.spec_id,
        due_at=task.due_at,
        assignee=display_names(session, [task.assignee_user_id]).get(task.assignee_user_id, ""),
        candidates=candidates(session, task, instance) if "transfer" in verbs else [],
        form=form,
        instructions=found.instructions if found else "",
        data=found.data if found else {},
        may_reassign="transfer" in verbs,
        may_complete="delegate" in verbs,
    )


def _newer(session: Session, instance: ProcessInstance, current: int) -> list[NewerVersion]:
    rows = session.execute(
        select(ProcessVersion)
        .where(ProcessVersion.process_key == instance.process_key, ProcessVersion.version > current)
        .order_by(ProcessVersion.version.desc())
    ).scalars()
    return [NewerVersion(r.version, r.deployed_at, r.deployed_by, r.note) for r in rows]


def _stuck_step(session: Session, kernel: Kernel, instance: ProcessInstance) -> StuckStep | None:
    """The same rule as `interventions.stuck`, for one case, with the step named."""
    if instance.status != "running":
        return None
    timer = session.execute(
        select(TimerRow)
        .where(TimerRow.instance_id == instance.id, TimerRow.due_at < kernel.clock.now() - STUCK_AFTER)
        .order_by(TimerRow.due_at, TimerRow.id)
        .limit(1)
    ).scalar_one_or_none()
    if timer is None:
        return None
    names = element_names(kernel.catalog.get(session, instance.process_version_id))
    name, name_en = names.get(timer.spec_id, (timer.spec_id, ""))
    return StuckStep(instance.id, instance.title, timer.due_at, timer.spec_id, name, name_en)


def stuck_steps(kernel: Kernel, actor: Actor) -> list[StuckStep]:
    """`interventions.stuck` with each case's overdue step named, for /admin/stuck."""
    cases = interventions.stuck(kernel, actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        found = [_stuck_step(session, kernel, _instance(session, case.instance_id)) for case in cases]
    return [step for step in found if step is not None]


def panel(kernel: Kernel, actor: Actor, instance_id: int) -> InterventionPanel:
    """Everything the case page's 管理员干预 panel offers, read in one unit of work."""
    check_admin(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = _instance(session, instance_id)
        version = kernel.catalog.get(session, instance.process_version_id).version
        rows = session.execute(
            select(HumanTask)
            .where(HumanTask.instance_id == instance_id, HumanTask.role != ROLE_PUBLIC)
            .order_by(HumanTask.created_at, HumanTask.id)
        ).scalars()
        return InterventionPanel(
            instance_id=instance.id,
            title=instance.title,
            status=instance.status,
            process_key=instance.process_key,
            version=version,
            tasks=[_open_task(session, kernel, task, instance) for task in rows],
            newer=_newer(session, instance, version),
            stuck=_stuck_step(session, kernel, instance),
        )


def open_task(kernel: Kernel, actor: Actor, instance_id: int, task_id: str) -> OpenTask:
    """One open task of the case with its form, instructions and data: the 代为办理 page."""
    check_admin(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = _instance(session, instance_id)
        task = session.get(HumanTask, task_id)
        if task is None or task.instance_id != instance.id or task.role == ROLE_PUBLIC:
            raise NotFound(f"case {instance_id} has no open task {task_id}", task_id=task_id)
        found = _open_task(session, kernel, task, instance, details=True)
        if not found.may_complete:
            check_hands_on(session, kernel, task, instance, "delegate")  # says why
        return found


def migration_preview(kernel: Kernel, actor: Actor, instance_id: int, to_version: int) -> MigrationPreview:
    """`migration.check`'s answer with each blocking step named as its diagram names it."""
    found = migration.check(kernel, actor, instance_id, to_version)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = _instance(session, instance_id)
        current = kernel.catalog.get(session, instance.process_version_id)
        target = session.execute(
            select(ProcessVersion).where(
                ProcessVersion.process_key == instance.process_key, ProcessVersion.version == to_version
            )
        ).scalar_one_or_none()
        names = element_names(current)
    blocking = [
        Blocking(b["element"], *names.get(b["element"], (b["element"], "")), b["reason"])
        for b in found.blockers
    ]
    return MigrationPreview(
        instance_id=instance_id,
        title=instance.title,
        from_version=current.version,
        to_version=to_version,
        to_reason=target.note if target is not None else "",
        allowed=found.allowed,
        blocking=blocking,
        reasons=[] if blocking else found.reasons,
    )
