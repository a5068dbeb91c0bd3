"""Accounts: password hashing with a real KDF (scrypt), and the Actor a username stands for.

Signing in (throttled, in the same time for every name) and ending sessions are in `credentials`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..actor import Actor
from ..db import _WRITE_OPTION
from ..errors import NotFound, RuleViolation
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
        must_change_password=user.must_change_password,
    )


def fingerprint(password_hash: str) -> str:
    """Kept for callers that still name it; sessions and tokens no longer carry anything derived
    from the password (they carry the account's credentials version: `credentials`)."""
    return password_hash[-16:]


_USERS = User.__table__
_ROLES = UserRole.__table__

# Built once at import, in Core: `signed_in` runs before every request, and building an ORM
# statement, generating its cache key and loading a `User` entity in a Session cost several times
# the query itself. One row per role (or one row with role NULL for an account without roles).
_SIGNED_IN = (
    select(
        _USERS.c.username,
        _USERS.c.display_name,
        _USERS.c.credentials_version,
        _USERS.c.active,
        _USERS.c.branch_id,
        _USERS.c.village_id,
        _USERS.c.member_id,
        _USERS.c.must_change_password,
        _ROLES.c.role,
    )
    .select_from(_USERS.outerjoin(_ROLES, _ROLES.c.user_id == _USERS.c.id))
    .where(_USERS.c.id == bindparam("user_id"))
)


def signed_in(kernel: Kernel, user_id: int, credentials_version: int | None = None) -> Actor | None:
    """The actor of an active account, read afresh (it runs before every request, so a disabled
    account or changed roles count from the very next request); with the credentials version a
    session or token was issued at, None also when the account signed out or changed its password
    since (`credentials`).

    One Core query on a plain connection, outside any transaction (one statement sees one
    consistent state; on SQLite it must never queue behind writers, and on PostgreSQL a BEGIN and
    a ROLLBACK around it would be two more round trips on every request). It commits nothing, so
    it needs no unit of work.
    """
    with kernel.db.engine.connect() as connection:
        if kernel.db.is_sqlite:
            connection.execution_options(**{_WRITE_OPTION: None})
        else:
            connection.execution_options(isolation_level="AUTOCOMMIT")
        rows = connection.execute(_SIGNED_IN, {"user_id": user_id}).all()
    if not rows:
        return None
    user = rows[0]
    if not user.active or (
        credentials_version is not None and user.credentials_version != credentials_version
    ):
        return None
    return Actor(
        user_id=user_id,
        username=user.username,
        roles=frozenset(row.role for row in rows if row.role is not None),
        branch_id=user.branch_id,
        village_id=user.village_id,
        member_id=user.member_id,
        display_name=user.display_name,
        must_change_password=bool(user.must_change_password),
    )


def actor_for(kernel: Kernel, username: str) -> Actor:
    """The actor an operator names with `--as`; unknown or disabled accounts are refused."""
    with kernel.db.unit_of_work(write=False) as uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or not user.active:
            raise NotFound(f"no active account {username!r}", username=username)
        return actor_of(user)


def authenticate(kernel: Kernel, username: str, password: str) -> Actor:
    """The actor of a name and password (throttled, in the same time for every name: `credentials`)."""
    from .credentials import sign_in  # it builds on this module

    return sign_in(kernel, username, password).actor


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
