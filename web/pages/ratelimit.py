"""The limits the public pages apply, counted in the database (`engine.services.limits`) so that
every worker process and every server shares one count per client."""

from __future__ import annotations

from xianfeng.engine.services import limits

# Objections per client address per hour: enough for a villager, too few to flood the board.
OBJECTIONS_PER_HOUR = 5


def objection_key(address: str | None) -> str:
    return limits.key_of("objection", "addr", address or "unknown")
