"""Where notifications go beyond the page, from configuration: Apprise URLs for everyone, per role
and per person, read from environment variables or a TOML file.

    XIANFENG_NOTIFY_URLS            URLs for everyone (separated by spaces or new lines)
    XIANFENG_NOTIFY_URLS_<ROLE>     URLs for the holders of a role: MEMBER, BRANCH, COMMITTEE, ADMIN, AUDITOR
    XIANFENG_NOTIFY_FILE            a TOML file: urls = [...], [roles] committee = [...], [users] name = [...]
    XIANFENG_NOTIFY_MAX_ATTEMPTS    tries per channel before it is listed as failed (default 5)
    XIANFENG_NOTIFY_RETRY_SECONDS   wait before the 2nd try; doubled for each further one (default 60)
    XIANFENG_NOTIFY_TIMEOUT         seconds one send may take (default 30)
    XIANFENG_BASE_URL               the server's address, for links in messages (e.g. https://xf.example)

A URL may name the person it goes to: `{username}` and `{phone}` (the member's phone number) are
filled in per recipient, so one SMS relay or mail server serves everyone; a person without a phone
number gets nothing through a `{phone}` URL. The URLs themselves may hold secrets (a robot's token, a
mail password): they are never stored, only a key to find them again and their masked form.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..config import Settings
from ..models.org import ACCOUNT_ROLES

PREFIX = "XIANFENG_NOTIFY_URLS"
_PLACEHOLDER = re.compile(r"\{(username|phone)\}")


class DeliveryConfigError(ValueError):
    """The delivery configuration cannot be used; the message names the variable or file and why."""


@dataclass(frozen=True)
class Recipient:
    username: str
    roles: frozenset[str]
    phone: str = ""
    language: str = "zh_CN"


def channel_key(template: str) -> str:
    """A stable name for a configured URL that does not reveal it."""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()[:32]


def render(template: str, recipient: Recipient) -> str | None:
    """The URL for one person, or None when it needs something the person lacks (a phone number)."""
    values = {"username": recipient.username, "phone": recipient.phone}
    missing = [name for name in _PLACEHOLDER.findall(template) if not values[name]]
    if missing:
        return None
    return _PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe="+@"), template)


@dataclass(frozen=True)
class DeliveryConfig:
    everyone: tuple[str, ...] = ()
    by_role: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_user: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_attempts: int = 5
    retry_seconds: float = 60.0
    timeout: float = 30.0
    base_url: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.everyone or any(self.by_role.values()) or any(self.by_user.values()))

    def templates_for(self, recipient: Recipient) -> list[str]:
        found = list(self.everyone)
        for role in sorted(recipient.roles):
            found += self.by_role.get(role, ())
        found += self.by_user.get(recipient.username, ())
        return list(dict.fromkeys(found))

    def template(self, key: str) -> str | None:
        everything = [
            *self.everyone,
            *(u for urls in (*self.by_role.values(), *self.by_user.values()) for u in urls),
        ]
        return next((t for t in everything if channel_key(t) == key), None)


def _urls(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split() if part)


def _number(values: dict[str, str], name: str, default: float, least: float) -> float:
    raw = values.get(name, "").strip()
    if not raw:
        return default
    try:
        number = float(raw)
    except ValueError as exc:
        raise DeliveryConfigError(f"{name} must be a number, got {raw!r}") from exc
    if number < least:
        raise DeliveryConfigError(f"{name} must be at least {least:g}, got {raw!r}")
    return number


def _file_lists(raw: object, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or not all(
        isinstance(v, list) and all(isinstance(u, str) for u in v) for v in raw.values()
    ):
        raise DeliveryConfigError(f"{where} must map names to lists of URLs")
    return {str(k): tuple(v) for k, v in raw.items()}


def _from_file(path: str) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    try:
        data = tomllib.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeliveryConfigError(f"XIANFENG_NOTIFY_FILE {path} cannot be read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DeliveryConfigError(f"XIANFENG_NOTIFY_FILE {path} is not TOML: {exc}") from exc
    everyone = data.get("urls", [])
    if not isinstance(everyone, list) or not all(isinstance(u, str) for u in everyone):
        raise DeliveryConfigError(f"XIANFENG_NOTIFY_FILE {path}: `urls` must be a list of URLs")
    roles = _file_lists(data.get("roles", {}), f"XIANFENG_NOTIFY_FILE {path}: [roles]")
    unknown = sorted(set(roles) - set(ACCOUNT_ROLES))
    if unknown:
        raise DeliveryConfigError(f"XIANFENG_NOTIFY_FILE {path}: no such role {', '.join(unknown)}")
    return tuple(everyone), roles, _file_lists(data.get("users", {}), f"XIANFENG_NOTIFY_FILE {path}: [users]")


def load(settings: Settings) -> DeliveryConfig:
    return _load(tuple(sorted(settings.notify.items())))


@functools.lru_cache(maxsize=8)
def _load(items: tuple[tuple[str, str], ...]) -> DeliveryConfig:
    values = dict(items)
    everyone = _urls(values.get(PREFIX, ""))
    by_role = {role: _urls(values.get(f"{PREFIX}_{role.upper()}", "")) for role in ACCOUNT_ROLES}
    by_user: dict[str, tuple[str, ...]] = {}
    if values.get("XIANFENG_NOTIFY_FILE"):
        more, roles, by_user = _from_file(values["XIANFENG_NOTIFY_FILE"])
        everyone += more
        by_role = {role: by_role.get(role, ()) + roles.get(role, ()) for role in ACCOUNT_ROLES}
    return DeliveryConfig(
        everyone=everyone,
        by_role={role: urls for role, urls in by_role.items() if urls},
        by_user=by_user,
        max_attempts=int(_number(values, "XIANFENG_NOTIFY_MAX_ATTEMPTS", 5, 1)),
        retry_seconds=_number(values, "XIANFENG_NOTIFY_RETRY_SECONDS", 60.0, 0),
        timeout=_number(values, "XIANFENG_NOTIFY_TIMEOUT", 30.0, 0.1),
        base_url=values.get("XIANFENG_BASE_URL", "").rstrip("/"),
    )
