"""Who is acting: built by the caller (CLI `--as`, a web session, an API token) and passed to a service."""

from __future__ import annotations

from dataclasses import dataclass

from .models.org import ROLE_PUBLIC


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    roles: frozenset[str]
    branch_id: int | None = None
    village_id: int | None = None
    member_id: int | None = None
    display_name: str = ""
    # A temporary password is in use: the web asks for a new one before anything else.
    must_change_password: bool = False

    def has(self, role: str) -> bool:
        return role in self.roles

    @classmethod
    def public(cls, label: str = "public") -> Actor:
        """A villager reaching a task through a single-use link: no account, no scope."""
        return cls(user_id=None, username=label, roles=frozenset({ROLE_PUBLIC}))
