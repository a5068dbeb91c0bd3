"""Whom a task may be handed or shown to (the person picker of 转办, 委派, 加签 and 抄送), and the
search over them by name: one rule per verb, used by the picker's list and by the verbs that
check the person chosen, so a page never offers someone the service would refuse.

- 转办 transfer: an account holding the task's role, within the task's branch for branch and
  member tasks;
- 委派 delegate: an account with an acting role (member, branch, committee), within the task's
  branch for branch and member tasks;
- 加签 co-sign: an account with an acting role that may read the case;
- 抄送 copy: an account that may read the case.
Never the one asking, and never whom the task is already with.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..errors import NotAllowed, NotFound, RuleViolation
from ..kernel import Kernel
from ..models import Branch, HumanTask, Member, ProcessInstance, User, UserRole
from ..models.org import ROLE_BRANCH, ROLE_MEMBER, ROLE_PUBLIC
from ..process.task_verbs import allowed_verbs
from . import authz
from .accounts import actor_of

PICKER_VERBS = ("transfer", "delegate", "add_signer", "copy")
MOST = 20  # answers to one search


@dataclass(frozen=True)
class Person:
    id: int  # the account's id: what the verbs take
    name: str
    branch: str  # the branch the account belongs to ("" for town-wide accounts)
    roles: list[str]


def may_receive(verb: str, target: Actor, task: HumanTask | None, instance: ProcessInstance) -> bool:
    """Whether `target` may be chosen for `verb` on the task (or, for 抄送, the case)."""
    if verb == "copy":
        return _may_read(target, instance)
    if task is None:
        return False
    in_branch = task.role not in (ROLE_BRANCH, ROLE_MEMBER) or target.branch_id == task.branch_id
    if verb == "transfer":
        return target.has(task.role) and in_branch
    acting = bool(target.roles & authz.ACTING_ROLES)
    if verb == "delegate":
        return acting and in_branch
    if verb == "add_signer":
        return acting and _may_read(target, instance)
    return False


def check_may_receive(verb: str, target: User, task: HumanTask | None, instance: ProcessInstance) -> None:
    if not target.active:
        raise NotFound(f"no active account {target.username!r}", username=target.username)
    if not may_receive(verb, actor_of(target), task, instance):
        name, step = target.username, task.name if task is not None else ""
        role = task.role if task is not None else ""
        why = {
            "transfer": f"{name} cannot act on {step}: it needs the role {role!r} within the task's branch",
            "delegate": f"{name} is not someone this task can be delegated to (acting, within its branch)",
            "add_signer": f"{name} cannot co-sign this task: it needs an acting role and the case's branch",
            "copy": f"{name} may not read case {instance.id}, so it cannot be copied to them",
        }
        raise NotAllowed(why[verb], username=name, verb=verb, person=target.display_name or name)


def _may_read(target: Actor, instance: ProcessInstance) -> bool:
    try:
        authz.check_may_read(target, instance)
    except NotAllowed:
        return False
    return True


def search(
    kernel: Kernel,
    actor: Actor,
    verb: str,
    q: str,
    task_id: str = "",
    instance_id: int | None = None,
    most: int = MOST,
) -> list[Person]:
    """People the actor may choose for `verb` whose name (or account name) contains `q`; the actor
    must be allowed the verb on the task (抄送: on the case) or the search is refused."""
    if verb not in PICKER_VERBS:
        raise RuleViolation(f"no person picker for {verb!r}; one of {', '.join(PICKER_VERBS)}", field="for")
    words = q.strip()[:64]
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        task, instance = _subject(session, task_id, instance_id)
        check_may_choose(session, kernel, actor, verb, task, instance)
        found = []
        for user in _candidates(session, verb, task, instance, words):
            if user.id == actor.user_id or (task is not None and user.id == task.assignee_user_id):
                continue
            if may_receive(verb, actor_of(user), task, instance):
                found.append(user)
            if len(found) == most:
                break
        branches = _branch_names(session, {u.branch_id for u in found if u.branch_id is not None})
        return [
            Person(
                u.id, u.display_name or u.username, branches.get(u.branch_id, ""), [r.role for r in u.roles]
            )
            for u in found
        ]


def check_may_choose(
    session: Session,
    kernel: Kernel,
    actor: Actor,
    verb: str,
    task: HumanTask | None,
    instance: ProcessInstance,
) -> None:
    """The actor may use `verb` here: the one rule for offering the picker and the verb itself."""
    if verb == "copy":
        authz.check_may_take_part(actor, instance)
        if task is not None and "copy" not in _allowed(session, kernel, task, instance):
            raise NotAllowed(
                f"{task.name} cannot be copied (抄送): its diagram does not allow it", task_id=task.id
            )
        return
    if task is None:
        raise RuleViolation(f"{verb} needs the task it acts on", field="task")
    authz.check_may_act(actor, task, instance)
    if task.role == ROLE_PUBLIC or verb not in _allowed(session, kernel, task, instance):
        raise NotAllowed(f"{task.name} does not allow {verb}", task_id=task.id, verb=verb)


def _allowed(session: Session, kernel: Kernel, task: HumanTask, instance: ProcessInstance) -> frozenset[str]:
    return allowed_verbs(
        kernel.catalog.get(session, instance.process_version_id), task.process_id, task.spec_id
    )


def _subject(
    session: Session, task_id: str, instance_id: int | None
) -> tuple[HumanTask | None, ProcessInstance]:
    task = session.get(HumanTask, task_id) if task_id else None
    if task_id and task is None:
        raise NotFound(f"no ready task {task_id}", task_id=task_id)
    wanted = task.instance_id if task is not None else instance_id
    instance = session.get(ProcessInstance, wanted) if wanted is not None else None
    if instance is None:
        raise NotFound("name the task (or, for a copy, the case) the person is chosen for", field="task")
    return task, instance


def _candidates(
    session: Session, verb: str, task: HumanTask | None, instance: ProcessInstance, words: str
) -> list[User]:
    """Active accounts whose name matches, narrowed by branch where the rule needs one; `may_receive`
    decides on each."""
    query = select(User).outerjoin(Member, Member.id == User.member_id).where(User.active.is_(True))
    if words:
        like = f"%{words}%"
        query = query.where(
            or_(User.display_name.ilike(like), Member.name.ilike(like), User.username.ilike(f"{words}%"))
        )
    if verb == "transfer" and task is not None:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == task.role)))
    if verb in ("transfer", "delegate") and task is not None:
        if task.role in (ROLE_BRANCH, ROLE_MEMBER):
            query = query.where(User.branch_id == task.branch_id)
    else:  # those who may read the case: its branch, or the town-wide accounts
        query = query.where(or_(User.branch_id == instance.branch_id, User.branch_id.is_(None)))
    return list(
        session.execute(
            query.order_by(User.branch_id.is_(None), User.display_name, User.id).limit(200)
        ).scalars()
    )


def _branch_names(session: Session, ids: set[int]) -> dict[int | None, str]:
    if not ids:
        return {}
    return {
        bid: name for bid, name in session.execute(select(Branch.id, Branch.name).where(Branch.id.in_(ids)))
    }


def account(session: Session, who: int | str) -> User:
    """An account by id (what pages and the API send) or by name (the command line)."""
    if who in ("", None):
        raise RuleViolation("choose the person first", field="person")
    if isinstance(who, int) and not isinstance(who, bool):
        user = session.get(User, who)
    else:
        user = session.execute(select(User).where(User.username == str(who))).scalar_one_or_none()
    if user is None or not user.active:
        raise NotFound(f"no active account {who!r}", person=str(who))
    return user
