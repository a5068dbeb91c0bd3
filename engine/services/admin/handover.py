"""What waits for a person who leaves a branch or whose account is disabled, and who takes it over.

Three things can wait for an account: a task assigned to it (a chosen evaluator's evaluation, a
task transferred or delegated to it), a task it delegated and will get back (it is its owner),
and a co-signature (加签) it was asked for. After a move or a disabling the account can act on
none of them, and nobody else could either: an assigned task is refused to anyone but its
assignee. So each is handed over (交接): a delegated task goes back to its owner, everything else
to one account the administrator chooses among those who may act on all of it (the branch's own
accounts with the branch role first). Each hand-over is a 转办 (or 交还) event in its case, with
the administrator as the actor and the reason, and the new holder is notified.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...kernel import Kernel
from ...models import HumanTask, ProcessInstance, TaskSigner, User
from ...models.org import ROLE_ADMIN, ROLE_BRANCH, ROLE_COMMITTEE, ROLE_MEMBER
from .. import notifications
from ..steps import EventMeta, record_verb

ACTING = frozenset({ROLE_MEMBER, ROLE_BRANCH, ROLE_COMMITTEE})
BRANCH_SCOPED = frozenset({ROLE_MEMBER, ROLE_BRANCH})


@dataclass(frozen=True)
class Item:
    """One thing waiting for the account. `what`: task (it is the assignee), back (a delegated task
    returns to its owner), owner (it delegated the task and would get it back), signature."""

    what: str
    task_id: str
    task: str
    role: str
    branch_id: int | None
    instance_id: int
    title: str
    signer_id: int | None = None
    owner: str = ""  # for `back`: who gets the task back


def items_of(session: Session, user_id: int) -> list[Item]:
    """Everything waiting for the account, in case order."""
    found: list[Item] = []
    assigned = session.execute(
        select(HumanTask, ProcessInstance.title, User.username)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .outerjoin(User, User.id == HumanTask.owner_user_id)
        .where((HumanTask.assignee_user_id == user_id) | (HumanTask.owner_user_id == user_id))
        .order_by(HumanTask.instance_id, HumanTask.created_at, HumanTask.id)
    )
    for task, title, owner in assigned:
        delegated = task.delegation_state == "pending" and task.owner_user_id not in (None, user_id)
        if task.assignee_user_id == user_id:
            what = "back" if delegated else "task"
        elif task.delegation_state == "pending":
            what = "owner"
        else:
            continue  # a delegation that has come back: the account is its assignee again (above)
        found.append(
            Item(
                what,
                task.id,
                task.name,
                task.role,
                task.branch_id,
                task.instance_id,
                title,
                None,
                owner or "",
            )
        )
    signatures = session.execute(
        select(TaskSigner, HumanTask, ProcessInstance.title)
        .join(HumanTask, HumanTask.id == TaskSigner.task_id)
        .join(ProcessInstance, ProcessInstance.id == TaskSigner.instance_id)
        .where(TaskSigner.user_id == user_id, TaskSigner.signed_at.is_(None))
        .order_by(TaskSigner.instance_id, TaskSigner.id)
    )
    for signer, task, title in signatures:
        found.append(
            Item(
                "signature", task.id, task.name, task.role, task.branch_id, task.instance_id, title, signer.id
            )
        )
    return found


def may_take(user: User, item: Item) -> bool:
    roles = {link.role for link in user.roles}
    if item.what == "back":
        return True  # goes to its owner, not to the chosen account
    if item.what == "signature":
        return bool(roles & ACTING) and (ROLE_COMMITTEE in roles or user.branch_id == item.branch_id)
    if item.role not in roles:
        return False
    return item.role not in BRANCH_SCOPED or user.branch_id == item.branch_id


def candidates(session: Session, user: User, items: list[Item]) -> list[User]:
    """Active accounts that may take over every item: the user's branch's branch-role holders first."""
    if not any(item.what != "back" for item in items):
        return []
    others = session.execute(
        select(User).where(User.active.is_(True), User.id != user.id).order_by(User.username)
    ).scalars()
    able = [other for other in others if all(may_take(other, item) for item in items)]

    def preference(other: User) -> tuple[bool, bool]:
        roles = {link.role for link in other.roles}
        return (ROLE_BRANCH not in roles, other.branch_id != user.branch_id)

    return sorted(able, key=preference)


def hand_over(
    session: Session,
    kernel: Kernel,
    actor: Actor,
    user: User,
    items: list[Item],
    to: User | None,
    reason: str,
) -> list[dict[str, object]]:
    """Hand each item over in its case (one event each) and tell the new holder; what was done."""
    done: list[dict[str, object]] = []
    for item in items:
        instance = session.execute(
            select(ProcessInstance).where(ProcessInstance.id == item.instance_id).with_for_update()
        ).scalar_one()
        task = session.get(HumanTask, item.task_id)
        assert task is not None
        receiver = _apply(session, item, task, to)
        payload = {
            "task": task.name,
            "to": receiver.username,
            "from": user.username,
            "handover": item.what,
            "reason": reason,
        }
        kind = "resolve" if item.what == "back" else "transfer"
        meta = EventMeta(kind, actor, ROLE_ADMIN, task.id, task.spec_id, payload)
        record_verb(session, kernel, instance, meta)
        notifications.notify(
            session,
            [receiver.id],
            "transferred",
            task.name,
            kernel.clock.now(),
            body=f"{user.display_name or user.username} 的待办交接：{reason}",
            instance_id=instance.id,
            task_id=task.id,
        )
        done.append(
            {"what": item.what, "task": task.name, "instance_id": instance.id, "to": receiver.username}
        )
    return done


def _apply(session: Session, item: Item, task: HumanTask, to: User | None) -> User:
    if item.what == "back":
        owner = session.get(User, task.owner_user_id)
        assert owner is not None
        task.assignee_user_id, task.delegation_state = owner.id, "resolved"
        return owner
    assert to is not None
    if item.what == "task":
        task.assignee_user_id = to.id
    elif item.what == "owner":
        task.owner_user_id = to.id
    else:
        signer = session.get(TaskSigner, item.signer_id)
        assert signer is not None
        signer.user_id = to.id
    return to
