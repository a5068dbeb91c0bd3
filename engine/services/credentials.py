"""Signing in, and ending sessions: throttled, in constant time, with credentials that can be voided.

- **Throttling.** Failed sign-ins are counted per account name and per address in the database
  (`limits`), so every worker and server counts the same failures. Past a few free failures each
  one blocks the name (or address) for a delay that doubles, up to a quarter of an hour; a sign-in
  while blocked is refused before the password is looked at. Unknown names are counted exactly
  like known ones, so the refusals tell nothing about which names exist.
- **The same time for every name.** The password is checked against a real scrypt hash even when
  the name is unknown or the account disabled (a dummy one), so that a wrong name does not answer
  fifty times faster than a wrong password.
- **Credentials that end.** Each account has a `credentials_version`; sessions and API tokens carry
  the version they were issued at and are accepted only while it is current. A sign-out moves it
  on (`end_sessions`), and so does any new password hash, whichever code sets it (the model's
  validator on `User.password_hash`): each ends every session and token of that account at once.
  Nothing in a token is derived from the password.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..actor import Actor
from ..errors import NotAuthenticated, TooManyAttempts
from ..kernel import Kernel
from ..models import User
from . import limits
from .accounts import actor_of

# Per account name: five free failures, then 1 s, 2 s, 4 s … at most 15 minutes between tries.
ACCOUNT_BACKOFF = limits.Backoff(
    free=5,
    first=dt.timedelta(seconds=1),
    longest=dt.timedelta(minutes=15),
    forget_after=dt.timedelta(hours=1),
)
# Per address: more free failures (an office or a village shares one address), then the same.
ADDRESS_BACKOFF = limits.Backoff(
    free=20,
    first=dt.timedelta(seconds=1),
    longest=dt.timedelta(minutes=15),
    forget_after=dt.timedelta(hours=1),
)

_dummy: list[str] = []
_dummy_lock = threading.Lock()


def _dummy_hash() -> str:
    """A scrypt hash of nothing anyone knows, made once per process, to check unknown names against."""
    with _dummy_lock:
        if not _dummy:
            _dummy.append(generate_password_hash("not a password: an unknown account", method="scrypt"))
        return _dummy[0]


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    credentials_version: int  # what the session or token carries


def _keys(username: str, address: str | None) -> dict[str, limits.Backoff]:
    keys = {limits.key_of("sign-in", "user", username): ACCOUNT_BACKOFF}
    if address:
        keys[limits.key_of("sign-in", "addr", address)] = ADDRESS_BACKOFF
    return keys


def sign_in(kernel: Kernel, username: str, password: str, address: str | None = None) -> SignedIn:
    """The account a name and password stand for; NotAuthenticated for a wrong pair (after the same
    work whatever was wrong), TooManyAttempts while the name or the address is blocked."""
    keys = _keys(username, address)
    retry_after, counted = limits.wait_for(kernel, keys)
    if retry_after:
        raise TooManyAttempts(
            f"too many failed sign-ins: try again in {retry_after} s", retry_after=retry_after
        )
    with kernel.db.unit_of_work(write=False) as uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        usable = user is not None and user.active
        stored = user.password_hash if user is not None and usable else _dummy_hash()
        matches = check_password_hash(stored, password)
        signed = SignedIn(actor_of(user), user.credentials_version) if user is not None else None
    if not (usable and matches) or signed is None:
        limits.fail(kernel, keys)
        raise NotAuthenticated("wrong username or password")
    account = next(iter(keys))
    if account in counted:
        limits.clear(kernel, [account])  # the address keeps its count: one good account opens no door
    return signed


def current_version(kernel: Kernel, user_id: int) -> int | None:
    """The account's credentials version now (for a session kept after its holder's own change)."""
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(select(User.credentials_version).where(User.id == user_id)).scalar()


def end_sessions(kernel: Kernel, user_id: int) -> None:
    """Sign out everywhere: every session and token of the account stops working at once.

    Only the credentials version moves, which is left out of the log (session bookkeeping, like
    the password hash): a sign-out is not a record anyone relies on.
    """
    with kernel.db.unit_of_work() as uow:
        user = uow.session.get(User, user_id, with_for_update=True)
        if user is not None:
            user.credentials_version = (user.credentials_version or 0) + 1
        uow.commit()
