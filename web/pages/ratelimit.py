"""The limits the public pages apply, counted in the database (`engine.services.limits`) so that
every worker process and every server shares one count per client."""

from __future__ import annotations

from xianfeng.engine.services import limits


def objection_key(address: str | None) -> str:
    return limits.key_of("objection", "addr", address or "unknown")
