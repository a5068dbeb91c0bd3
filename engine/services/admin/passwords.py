"""Passwords: the rules every new one meets, the temporary password an administrator hands out
(shown once, never stored in clear, to be changed at the first sign-in), and a person changing
their own. No password, hash or fingerprint goes into an event: the log says whose password was
set, by whom and why."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash

from ...actor import Actor
from ...errors import NotAuthenticated, NotFound
from ...kernel import Kernel
from ...models import User
from ..accounts import MIN_PASSWORD_LENGTH, authenticate, hash_password
from .common import record, refused

MAX_PASSWORD_LENGTH = 128
# No 0/O, 1/l/I: a temporary password is read out over the phone or copied from paper.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_LENGTH = 12


def check_rules(username: str, password: str) -> None:
    """At least 8 characters, not the username (in any case), not all blank."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise refused(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
            f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符",
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise refused(
            f"a password has at most {MAX_PASSWORD_LENGTH} characters",
            f"密码最多 {MAX_PASSWORD_LENGTH} 个字符",
            field="password",
        )
    if password.strip().casefold() == username.strip().casefold():
        raise refused("the password may not be the username", "密码不能与用户名相同", field="password")
    if not password.strip():
        raise refused("the password may not be only blanks", "密码不能全是空格", field="password")


def temporary_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(TEMPORARY_LENGTH))


def change_own(kernel: Kernel, actor: Actor, current: str | None, new: str) -> None:
    """A person sets their own password: every session and token of the account ends (the web
    keeps the one the change was made in, `auth.keep_signed_in`).

    The current password is asked for (and checked as a sign-in is, throttled), except right after
    signing in with a temporary one: that sign-in has just checked it. The new one must differ."""
    if actor.user_id is None:
        raise NotAuthenticated("sign in first")
    check_rules(actor.username, new)
    if current is not None:
        try:
            authenticate(kernel, actor.username, current)  # throttled as a sign-in is
        except NotAuthenticated as exc:
            raise refused("the current password is not right", "当前密码不正确", field="current") from exc
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        user = session.execute(
            select(User).where(User.id == actor.user_id).with_for_update()
        ).scalar_one_or_none()
        if user is None or not user.active:
            raise NotFound("the account is gone or disabled", zh="账号不存在或已停用")
        if current is None and not user.must_change_password:
            raise refused("give the current password", "请输入当前密码", field="current")
        if check_password_hash(user.password_hash, new):
            raise refused(
                "the new password must differ from the current one",
                "新密码不能与当前密码相同",
                field="password",
            )
        user.password_hash = hash_password(new)  # ends the other sessions (User)
        user.must_change_password = False
        session.flush()
        payload = {"action": "password_changed", "username": user.username}
        record(session, kernel, actor, "account", payload, always=True, role="")
        uow.commit()
