"""Accounts as administrators keep them: who may sign in, as whom (the member an account stands
for), with which roles and in which branch; created with a temporary password, reset, disabled.

An administrator never learns a password a person chose: new accounts and resets get a temporary
one, shown once, that the holder must replace at the first sign-in. A disabled account stops at
its next request (sessions and tokens are checked against the account on every request); what
waits for it is handed over first (`handover`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...errors import NotFound
from ...kernel import Kernel
from ...models import Branch, Member, User, UserRole
from ...models.org import ACCOUNT_ROLES, ROLE_ADMIN, ROLE_BRANCH, ROLE_MEMBER
from ..accounts import hash_password
from . import handover, passwords
from .common import check_may_manage, check_may_read, may_manage, reason_of, record, refused, text_of

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$")
BRANCH_ROLES = frozenset({ROLE_MEMBER, ROLE_BRANCH})


@dataclass(frozen=True)
class AccountRow:
    id: int
    username: str
    display_name: str
    roles: list[str]
    branch_id: int | None
    branch: str | None
    member_id: int | None
    member_code: str | None
    member_name: str | None
    active: bool
    must_change_password: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class AccountForm:
    """What the account forms offer: the branches, and the active members without an account."""

    branches: list[tuple[int, str]]
    members: list[tuple[str, str, str]]  # (code, name, branch)
    may_manage: bool


@dataclass(frozen=True)
class AccountDetail:
    account: AccountRow
    waiting: list[handover.Item] = field(default_factory=list)  # handed over if it is disabled
    choices: list[tuple[str, str]] = field(default_factory=list)
    form: AccountForm | None = None

    @property
    def needs_receiver(self) -> bool:
        """Whether disabling it needs someone to take over (personal tasks stay, delegations go back)."""
        return handover.needs_receiver(self.waiting)


@dataclass
class AccountSpec:
    """An account as the administrator describes it. `branch`: id or code; `member`: 党员编号."""

    username: str = ""
    display_name: str = ""
    roles: list[str] = field(default_factory=list)
    branch: str | None = None
    member: str | None = None


@dataclass(frozen=True)
class Issued:
    """A temporary password, to be shown once and never stored in clear."""

    account: AccountRow
    temporary_password: str


def _query() -> Any:
    return (
        select(User, Branch.name, Member.code, Member.name)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .outerjoin(Member, Member.id == User.member_id)
        .order_by(User.username)
    )


def _row(user: User, branch: str | None, code: str | None, name: str | None) -> AccountRow:
    return AccountRow(
        user.id,
        user.username,
        user.display_name,
        [link.role for link in user.roles],
        user.branch_id,
        branch,
        user.member_id,
        code,
        name,
        user.active,
        user.must_change_password,
        user.created_at,
    )


def list_accounts(
    kernel: Kernel, actor: Actor, query: str = "", role: str | None = None, active: bool | None = None
) -> list[AccountRow]:
    check_may_read(actor)
    statement = _query()
    words = query.strip()
    if words:
        statement = statement.where(
            or_(User.username.contains(words), User.display_name.contains(words), Member.code.contains(words))
        )
    if role:
        statement = statement.where(User.roles.any(UserRole.role == role))
    if active is not None:
        statement = statement.where(User.active.is_(active))
    with kernel.db.unit_of_work(write=False) as uow:
        return [_row(*row) for row in uow.session.execute(statement)]


def account_form(kernel: Kernel, actor: Actor) -> AccountForm:
    check_may_read(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        return _form(uow.session, actor)


def _form(session: Session, actor: Actor) -> AccountForm:
    branches = [(b.id, b.name) for b in session.execute(select(Branch).order_by(Branch.code)).scalars()]
    free = session.execute(
        select(Member.code, Member.name, Branch.name)
        .join(Branch, Branch.id == Member.branch_id)
        .outerjoin(User, User.member_id == Member.id)
        .where(User.id.is_(None), Member.status == "active")
        .order_by(Branch.code, Member.code)
    )
    return AccountForm(branches, [(code, name, branch) for code, name, branch in free], may_manage(actor))


def account_detail(kernel: Kernel, actor: Actor, user_id: int) -> AccountDetail:
    check_may_read(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        found = session.execute(_query().where(User.id == user_id)).first()
        if found is None:
            raise NotFound(f"no account {user_id}", zh=f"找不到该账号（{user_id}）")
        user = found[0]
        waiting = handover.items_of(session, user.id, kernel)
        choices = [(c.username, c.display_name) for c in handover.candidates(session, user, waiting)]
        return AccountDetail(_row(*found), waiting, choices, _form(session, actor))


def user_id_of(kernel: Kernel, username: str) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        found = uow.session.execute(select(User.id).where(User.username == username)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no account {username!r}", zh=f"找不到账号 {username}", username=username)
    return int(found)


def create_account(kernel: Kernel, actor: Actor, spec: AccountSpec, reason: str = "") -> Issued:
    """A new account with a temporary password that must be changed at the first sign-in."""
    check_may_manage(actor)
    username = _username(spec.username)
    temporary = passwords.temporary_password()
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        if session.execute(select(User.id).where(User.username == username)).first() is not None:
            raise refused(
                f"the account {username} exists already", f"账号 {username} 已存在", field="username"
            )
        roles, branch, member = _resolve(session, spec, None)
        user = User(
            username=username,
            display_name=_display_name(spec, member, username),
            must_change_password=True,
            created_at=kernel.clock.now(),
            active=True,
        )
        user.password_hash = hash_password(temporary)
        _place(user, roles, branch, member)
        session.add(user)
        session.flush()
        payload = {**_described(user, roles, branch, member), "action": "created", "reason": reason.strip()}
        record(session, kernel, actor, "account", payload, always=True)
        uow.commit()
    return Issued(_reread(kernel, user.id), temporary)


def update_account(kernel: Kernel, actor: Actor, user_id: int, spec: AccountSpec, reason: str) -> list[str]:
    """Change an account's name, roles, member and branch; what changed (nothing: no event)."""
    check_may_manage(actor)
    why = reason_of(reason, "a change to an account", "修改账号")
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        user = _user(session, user_id, lock=True)
        roles, branch, member = _resolve(session, spec, user)
        if ROLE_ADMIN not in roles and ROLE_ADMIN in _roles(user):
            _check_keeps_an_admin(session, actor, user, "remove the admin role from", "去掉管理员角色")
        before = _described(user, _roles(user), _branch_code(session, user), _member_code(session, user))
        if (branch.id if branch else None) != user.branch_id:
            _check_nothing_waits(session, user)
        user.display_name = _display_name(spec, member, user.username)
        _place(user, roles, branch, member)
        session.flush()
        after = _described(user, roles, branch, member)
        changes = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
        if changes:
            payload = {"action": "changed", "username": user.username, "changes": changes, "reason": why}
            record(session, kernel, actor, "account", payload)
        uow.commit()
        return sorted(changes)


def reset_password(kernel: Kernel, actor: Actor, username: str, reason: str) -> Issued:
    """A new temporary password: the old one, and every session and token made with it, stop."""
    check_may_manage(actor)
    why = reason_of(reason, "a password reset", "重置密码")
    temporary = passwords.temporary_password()
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        user = _by_name(session, username)
        user.password_hash = hash_password(temporary)
        user.must_change_password = True
        session.flush()
        payload = {"action": "password_reset", "username": user.username, "reason": why}
        record(session, kernel, actor, "account", payload, always=True)
        uow.commit()
    return Issued(_reread(kernel, user.id), temporary)


def disable_account(
    kernel: Kernel, actor: Actor, username: str, reason: str, handover_to: str | None = None
) -> list[dict[str, object]]:
    """Stop an account at once; what waited for it is handed over (to `handover_to`, or the first
    account that may take it all). What was handed over."""
    check_may_manage(actor)
    why = reason_of(reason, "disabling an account", "停用账号")
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        user = _by_name(session, username)
        if not user.active:
            raise refused(f"{username} is disabled already", f"账号 {username} 已停用", field="username")
        if ROLE_ADMIN in _roles(user):
            _check_keeps_an_admin(session, actor, user, "disable", "停用")
        items = handover.handed(handover.items_of(session, user.id, kernel))  # personal ones stay
        receiver = _receiver(session, user, items, handover_to)
        user.active = False
        session.flush()
        payload = {
            "action": "disabled",
            "username": user.username,
            "reason": why,
            "handed_over": len(items),
            "handed_over_to": receiver.username if receiver else None,
        }
        record(session, kernel, actor, "account", payload, always=True)
        done = handover.hand_over(session, kernel, actor, user, items, receiver, why) if items else []
        uow.commit()
        return done


def enable_account(kernel: Kernel, actor: Actor, username: str, reason: str) -> None:
    check_may_manage(actor)
    why = reason_of(reason, "enabling an account", "启用账号")
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        user = _by_name(session, username)
        if user.active:
            raise refused(f"{username} is active already", f"账号 {username} 已是启用状态", field="username")
        member = session.get(Member, user.member_id) if user.member_id else None
        if member is not None and member.status != "active":
            raise refused(
                f"{member.name} is not an active member ({member.status}): restore the member first",
                f"{member.name}已不在册：请先在党员页面恢复在册，再启用账号",
                field="username",
            )
        user.active = True
        session.flush()
        record(session, kernel, actor, "account", {"action": "enabled", "username": username, "reason": why})
        uow.commit()


def _receiver(session: Session, user: User, items: list[handover.Item], wanted: str | None) -> User | None:
    if not handover.needs_receiver(items):
        return None
    able = handover.candidates(session, user, items)
    if not able:
        raise refused(
            f"nobody may take over the {len(items)} item(s) waiting for {user.username}",
            f"没有可以接手账号 {user.username} 的 {len(items)} 项待办的账号",
            field="handover_to",
        )
    if wanted is None:
        return able[0]
    for candidate in able:
        if candidate.username == wanted:
            return candidate
    raise refused(
        f"{wanted} may not take over what waits for {user.username}",
        f"{wanted} 不能接手账号 {user.username} 的待办",
        field="handover_to",
    )


def _check_nothing_waits(session: Session, user: User) -> None:
    """An account's branch does not change under tasks of the old branch it alone may do."""
    waiting = handover.items_of(session, user.id)
    if waiting:
        raise refused(
            f"{len(waiting)} item(s) wait for {user.username} in its branch: move the member (their "
            "tasks are handed over) or disable the account instead",
            f"账号 {user.username} 在原支部还有 {len(waiting)} 项待办：请通过党员调动办理（待办随之交接），"
            "或停用该账号",
            field="branch",
        )


def _username(raw: str) -> str:
    username = (raw or "").strip()
    if not USERNAME.match(username):
        raise refused(
            f"the username {username!r} must be 3–64 letters, digits, '-', '_' or '.'",
            f"用户名“{username}”须为 3–64 个字母、数字或 - _ .",
            field="username",
        )
    return username


def _roles(user: User) -> list[str]:
    return sorted(link.role for link in user.roles)


def _user(session: Session, user_id: int, lock: bool = False) -> User:
    statement = select(User).where(User.id == user_id)
    user = session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no account {user_id}", zh=f"找不到该账号（{user_id}）")
    return user


def _by_name(session: Session, username: str) -> User:
    user = session.execute(
        select(User).where(User.username == username).with_for_update()
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no account {username!r}", zh=f"找不到账号 {username}", username=username)
    return user


def _reread(kernel: Kernel, user_id: int) -> AccountRow:
    with kernel.db.unit_of_work(write=False) as uow:
        return _row(*uow.session.execute(_query().where(User.id == user_id)).one())


def _resolve(
    session: Session, spec: AccountSpec, user: User | None
) -> tuple[list[str], Branch | None, Member | None]:
    roles = sorted(set(spec.roles))
    unknown = [r for r in roles if r not in ACCOUNT_ROLES]
    if unknown or not roles:
        raise refused(
            f"roles must be some of {', '.join(ACCOUNT_ROLES)}; got {', '.join(spec.roles) or 'none'}",
            "请至少选择一个角色（党员、党支部、镇党委、管理员、审计）",
            field="roles",
        )
    member = _member(session, spec.member, user)
    branch = _branch(session, spec.branch, member)
    if ROLE_MEMBER in roles and member is None:
        raise refused(
            "an account with the member role stands for a member: choose the member",
            "持有党员角色的账号须对应一名党员：请选择党员",
            field="member",
        )
    if ROLE_BRANCH in roles and branch is None:
        raise refused(
            "an account with the branch role needs its branch",
            "持有党支部角色的账号须指定所属党支部",
            field="branch",
        )
    if branch is not None and not set(roles) & BRANCH_ROLES:
        raise refused(
            "only member and branch accounts belong to a branch; the other roles are town-wide",
            "只有党员、党支部角色的账号属于某个党支部；其他角色面向全镇，不指定支部",
            field="branch",
        )
    return roles, branch, member


def _member(session: Session, code: str | None, user: User | None) -> Member | None:
    code = (code or "").strip()
    if not code:
        return None
    member = session.execute(select(Member).where(Member.code == code)).scalar_one_or_none()
    if member is None:
        raise refused(f"no member with the code {code}", f"找不到党员编号为 {code} 的党员", field="member")
    holder = session.execute(select(User.username).where(User.member_id == member.id)).scalar_one_or_none()
    if holder is not None and (user is None or holder != user.username):
        raise refused(
            f"{member.name} ({code}) has the account {holder} already",
            f"{member.name}（{code}）已有账号 {holder}",
            field="member",
        )
    if member.status != "active" and (user is None or user.member_id != member.id):
        raise refused(
            f"{member.name} is not an active member",
            f"{member.name}已不在册，不能为其开设账号",
            field="member",
        )
    return member


def _branch(session: Session, raw: str | None, member: Member | None) -> Branch | None:
    raw = (raw or "").strip()
    branch = None
    if raw:
        statement = select(Branch).where(Branch.code == raw)
        if raw.isdigit():
            statement = select(Branch).where(or_(Branch.id == int(raw), Branch.code == raw))
        branch = session.execute(statement).scalars().first()
        if branch is None:
            raise refused(f"no branch {raw}", f"找不到党支部 {raw}", field="branch")
    if member is not None:
        own = session.get(Branch, member.branch_id)
        if branch is not None and own is not None and branch.id != own.id:
            raise refused(
                f"{member.name} is a member of {own.name}, not {branch.name}",
                f"{member.name}属于{own.name}，不属于{branch.name}",
                field="branch",
            )
        return own
    return branch


def _display_name(spec: AccountSpec, member: Member | None, username: str) -> str:
    given = text_of(spec.display_name, "display_name", "显示名称", 64, required=False)
    return given or (member.name if member else username)


def _place(user: User, roles: list[str], branch: Branch | None, member: Member | None) -> None:
    user.member_id = member.id if member else None
    user.branch_id = branch.id if branch else None
    user.village_id = member.village_id if member else None
    kept = [link for link in user.roles if link.role in roles]
    user.roles = kept + [UserRole(role=r) for r in roles if r not in {link.role for link in kept}]


def _check_keeps_an_admin(session: Session, actor: Actor, user: User, what_en: str, what_zh: str) -> None:
    if actor.user_id == user.id:
        raise refused(
            f"an administrator cannot {what_en} their own account",
            f"管理员不能{what_zh}自己的账号",
            field="username",
        )
    others = session.execute(
        select(User.id).where(
            User.active.is_(True), User.id != user.id, User.roles.any(UserRole.role == ROLE_ADMIN)
        )
    ).first()
    if others is None:
        raise refused(
            f"{user.username} is the last active administrator",
            f"{user.username} 是最后一个有效的管理员账号",
            field="username",
        )


def _branch_code(session: Session, user: User) -> str | None:
    branch = session.get(Branch, user.branch_id) if user.branch_id else None
    return branch.code if branch else None


def _member_code(session: Session, user: User) -> str | None:
    member = session.get(Member, user.member_id) if user.member_id else None
    return member.code if member else None


def _described(user: User, roles: list[str], branch: Any, member: Any) -> dict[str, Any]:
    """What the log says of an account (never its password)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(roles),
        "branch": branch.code if isinstance(branch, Branch) else branch,
        "member": member.code if isinstance(member, Member) else member,
    }
