"""Accounts: password hashing with a real KDF (scrypt), and the Actor a username stands for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, raiseload
from werkzeug.security import check_password_hash, generate_password_hash

from ..actor import Actor
from ..errors import NotAuthenticated, NotFound, RuleViolation
from ..kernel import Kernel
from ..models import User, UserRole
from ..models.org import ACCOUNT_ROLES

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RuleViolation(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password")
    return generate_password_hash(password, method="scrypt")


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=frozenset(r.role for r in user.roles),
        branch_id=user.branch_id,
        village_id=user.village_id,
        member_id=user.member_id,
        display_name=user.display_name,
    )


def fingerprint(password_hash: str) -> str:
    """What a bearer token carries of the password hash: a changed password voids every token."""
    return password_hash[-16:]


def signed_in(kernel: Kernel, user_id: int, token_fingerprint: str | None = None) -> Actor | None:
    """The actor of an active account, in one query (it runs before every request); with a token's
    fingerprint, None also when the password has changed since the token was issued."""
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(User, UserRole.role)
            .outerjoin(UserRole, UserRole.user_id == User.id)
            .where(User.id == user_id)
            .options(raiseload(User.roles))  # the roles come in the same rows
        ).all()
        if not rows:
            return None
        user = rows[0][0]
        if not user.active or (
            token_fingerprint is not None and fingerprint(user.password_hash) != token_fingerprint
        ):
            return None
        return Actor(
            user_id=user.id,
            username=user.username,
            roles=frozenset(role for _user, role in rows if role is not None),
            branch_id=user.branch_id,
            village_id=user.village_id,
            member_id=user.member_id,
            display_name=user.display_name,
        )


def token_fingerprint(kernel: Kernel, user_id: int) -> str:
    with kernel.db.unit_of_work(write=False) as uow:
        return fingerprint(
            uow.session.execute(select(User.password_hash).where(User.id == user_id)).scalar_one()
        )


def actor_for(kernel: Kernel, username: str) -> Actor:
    """The actor an operator names with `--as`; unknown or disabled accounts are refused."""
    with kernel.db.unit_of_work(write=False) as uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or not user.active:
            raise NotFound(f"no active account {username!r}", username=username)
        return actor_of(user)


def authenticate(kernel: Kernel, username: str, password: str) -> Actor:
    with kernel.db.unit_of_work(write=False) as uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or not user.active or not check_password_hash(user.password_hash, password):
            raise NotAuthenticated("wrong username or password")
        return actor_of(user)


def ensure_user(
    session: Session,
    username: str,
    display_name: str,
    password_hash: str,
    roles: Iterable[str],
    now: dt.datetime,
    branch_id: int | None = None,
    village_id: int | None = None,
    member_id: int | None = None,
) -> User:
    """Create the account or bring it in line (idempotent, for demo data and set-up)."""
    unknown = set(roles) - set(ACCOUNT_ROLES)
    if unknown:
        raise RuleViolation(f"unknown roles {sorted(unknown)}")
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        user = User(username=username, display_name=display_name, password_hash=password_hash, created_at=now)
        session.add(user)
    user.display_name, user.branch_id, user.village_id, user.member_id = (
        display_name,
        branch_id,
        village_id,
        member_id,
    )
    wanted = set(roles)
    kept = [link for link in user.roles if link.role in wanted]
    user.roles = kept + [UserRole(role=role) for role in sorted(wanted - {link.role for link in kept})]
    session.flush()
    return user
