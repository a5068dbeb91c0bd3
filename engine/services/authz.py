"""Who may do what: role from the diagram's lane, scope from the instance's branch.

The rules are the same for the CLI's `--as`, the web pages and the API, because all of them call
the services, and the services call these checks before anything is written.
"""

from __future__ import annotations

from ..actor import Actor
from ..errors import NotAllowed
from ..models import HumanTask, ProcessInstance
from ..models.org import (
    ROLE_ADMIN,
    ROLE_AUDITOR,
    ROLE_BRANCH,
    ROLE_COMMITTEE,
    ROLE_MEMBER,
    ROLE_OPERATOR,
    ROLE_PUBLIC,
)

TOWN_WIDE_READERS = frozenset({ROLE_COMMITTEE, ROLE_ADMIN, ROLE_AUDITOR})


def check_may_act(actor: Actor, task: HumanTask, instance: ProcessInstance) -> None:
    """Refuse unless the actor holds the task's role and is within its scope (or is its assignee),
    and the case may move (an administrator may have suspended it)."""
    if instance.status == "suspended":
        raise NotAllowed(
            f"case {instance.id} is suspended by an administrator: nothing is done on it until it is resumed",
            instance_id=instance.id,
        )
    if task.role == ROLE_PUBLIC:
        if not actor.has(ROLE_PUBLIC):
            raise NotAllowed(
                f"task {task.id} is answered by the public through its single-use link", task_id=task.id
            )
        return
    if not actor.has(task.role):
        raise NotAllowed(
            f"task {task.name} needs the role {task.role!r}; {actor.username} has "
            f"{', '.join(sorted(actor.roles)) or 'none'}",
            task_id=task.id,
            role=task.role,
        )
    # The branch is checked even for an assigned task: whoever it is assigned to (a chosen evaluator,
    # a transferee, a delegate) was taken from the case's own branch, so an assignee outside it can
    # only come from an inbox row changed behind the system's back.
    if task.role in (ROLE_BRANCH, ROLE_MEMBER) and actor.branch_id != instance.branch_id:
        raise NotAllowed(f"task {task.name} belongs to another branch", task_id=task.id)
    if task.assignee_user_id is not None and actor.user_id != task.assignee_user_id:
        raise NotAllowed(f"task {task.name} is assigned to another person", task_id=task.id)


def may_act(actor: Actor, task: HumanTask, instance: ProcessInstance) -> bool:
    try:
        check_may_act(actor, task, instance)
    except NotAllowed:
        return False
    return True


def check_may_start(actor: Actor, process_key: str, start_role: str | None) -> None:
    if start_role is None:
        raise NotAllowed(f"process {process_key} is not started by hand (it has no start lane)")
    if not actor.has(start_role):
        raise NotAllowed(
            f"process {process_key} is started by the role {start_role!r}; {actor.username} has "
            f"{', '.join(sorted(actor.roles)) or 'none'}",
            process_key=process_key,
        )
    if start_role in (ROLE_BRANCH, ROLE_MEMBER) and actor.branch_id is None:
        raise NotAllowed(f"{actor.username} belongs to no branch and cannot start {process_key}")


def check_may_read(actor: Actor, instance: ProcessInstance) -> None:
    if actor.roles & TOWN_WIDE_READERS:
        return
    if actor.branch_id is not None and actor.branch_id == instance.branch_id:
        return
    raise NotAllowed(f"instance {instance.id} belongs to another branch", instance_id=instance.id)


ACTING_ROLES = frozenset({ROLE_MEMBER, ROLE_BRANCH, ROLE_COMMITTEE})


def check_may_hand_out_links(actor: Actor, instance: ProcessInstance) -> None:
    """Single-use links are capabilities: only the branch that organises the evaluation (or the
    committee, or the command-line operator) may see them, never a member who could answer them."""
    if actor.has(ROLE_COMMITTEE) or actor.has(ROLE_OPERATOR):
        return
    if actor.has(ROLE_BRANCH) and actor.branch_id == instance.branch_id:
        return
    raise NotAllowed(
        f"{actor.username} may not hand out the public links of instance {instance.id}",
        instance_id=instance.id,
    )


def check_may_take_part(actor: Actor, instance: ProcessInstance) -> None:
    """Copying, co-signing: only people who act in procedures (not the read-only auditor or the
    administrator) and who may read the instance."""
    if not actor.roles & ACTING_ROLES:
        raise NotAllowed(f"{actor.username} has no acting role (member, branch, committee)")
    check_may_read(actor, instance)
