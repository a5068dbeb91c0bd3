"""What waits for a person who leaves a branch or whose account is disabled, and who takes it over.

Three things can wait for an account: a task assigned to it (a chosen evaluator's evaluation, a
task transferred or delegated to it), a task it delegated and will get back (it is its owner),
and a co-signature (加签) it was asked for. After a move or a disabling the account can act on
none of them, and nobody else could either: an assigned task is refused to anyone but its
assignee. So each is handed over (交接): a delegated task goes back to its owner, everything else
to one account the administrator chooses among those who may act on all of it (the branch's own
accounts with the branch role first). Each hand-over is a 转办 (or 交还) event in its case, with
the administrator as the actor and the reason, and the new holder is notified.

A task whose diagram does not allow 转办 (an evaluator's 党员测评, the nominee's consent: a task
with an `assignee` allows only 抄送 and 催办) is the person's own: nobody else may answer it in
their name, an administrator included. It is not handed over (`personal`): it stays where it is,
nothing is recorded for it, and the procedure's deadline decides what an unanswered one means.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...kernel import Kernel
from ...models import HumanTask, ProcessInstance, TaskSigner, User
from ...models.org import ROLE_ADMIN, ROLE_BRANCH, ROLE_COMMITTEE, ROLE_MEMBER
from ...process.task_verbs import allowed_verbs
from .. import notifications
from ..steps import EventMeta, record_verb

ACTING = frozenset({ROLE_MEMBER, ROLE_BRANCH, ROLE_COMMITTEE})
BRANCH_SCOPED = frozenset({ROLE_MEMBER, ROLE_BRANCH})
PERSONAL = "personal"  # the person's own task: never handed over


@dataclass(frozen=True)
class Item:
    """One thing waiting for the account. `what`: task (it is the assignee), back (a delegated task
    returns to its owner), owner (it delegated the task and would get it back), signature, personal
    (a task or delegation of its own whose diagram allows no 转办: it stays)."""

    what: str
    task_id: str
    task: str
    role: str
    branch_id: int | None
    instance_id: int
    title: str
    signer_id: int | None = None
    owner: str = ""  # for `back`: who gets the task back

    @property
    def handed_over(self) -> bool:
        return self.what != PERSONAL

    @property
    def needs_receiver(self) -> bool:
        """Whether it goes to the account the administrator chooses (not back to its owner, not kept)."""
        return self.what not in ("back", PERSONAL)


def handed(items: list[Item]) -> list[Item]:
    """The items a hand-over moves: all but the personal ones."""
    return [item for item in items if item.handed_over]


def needs_receiver(items: list[Item]) -> bool:
    return any(item.needs_receiver for item in items)


def items_of(session: Session, user_id: int, kernel: Kernel | None = None) -> list[Item]:
    """Everything waiting for the account, in case order. With the kernel, a task or delegation of
    its own whose diagram allows no 转办 is `personal`; without it (only counting), it is not told apart."""
    found: list[Item] = []
    assigned = session.execute(
        select(HumanTask, ProcessInstance.title, User.username, ProcessInstance.process_version_id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .outerjoin(User, User.id == HumanTask.owner_user_id)
        .where((HumanTask.assignee_user_id == user_id) | (HumanTask.owner_user_id == user_id))
        .order_by(HumanTask.instance_id, HumanTask.created_at, HumanTask.id)
    )
    for task, title, owner, version_id in assigned:
        delegated = task.delegation_state == "pending" and task.owner_user_id not in (None, user_id)
        if task.assignee_user_id == user_id:
            what = "back" if delegated else "task"
        elif task.delegation_state == "pending":
            what = "owner"
        else:
            continue  # a delegation that has come back: the account is its assignee again (above)
        if what != "back" and kernel is not None and not _transferable(session, kernel, task, version_id):
            what = PERSONAL
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


def _transferable(session: Session, kernel: Kernel, task: HumanTask, version_id: int) -> bool:
    version = kernel.catalog.get(session, version_id)
    return "transfer" in allowed_verbs(version, task.process_id, task.spec_id)


def may_take(user: User, item: Item) -> bool:
    roles = {link.role for link in user.roles}
    if not item.needs_receiver:
        return True  # goes back to its owner, or stays: not to the chosen account
    if item.what == "signature":
        return bool(roles & ACTING) and (ROLE_COMMITTEE in roles or user.branch_id == item.branch_id)
    if item.role not in roles:
        return False
    return item.role not in BRANCH_SCOPED or user.branch_id == item.branch_id


def candidates(session: Session, user: User, items: list[Item]) -> list[User]:
    """Active accounts that may take over every item: the user's branch's branch-role holders first."""
    if not needs_receiver(items):
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
    """Hand each item over in its case (one event each) and tell the new holder; what was done.
    A personal item is left where it is, with no event."""
    done: list[dict[str, object]] = []
    for item in handed(items):
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
