"""What a service-task operation may know about the step that calls it."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from sqlalchemy.orm import Session


class Chance:
    """The random values an operation draws (a receipt number). An operation tried ahead of the
    write lock is done again under it (`services.service_calls`) and must give the same result:
    done again, it draws the values it drew when it was tried (`again`)."""

    def __init__(self, again: tuple[str, ...] = ()) -> None:
        self._again = list(again)
        self.drawn: list[str] = []

    def token_hex(self, nbytes: int) -> str:
        value = self._again.pop(0) if self._again else secrets.token_hex(nbytes)
        self.drawn.append(value)
        return value


@dataclass(frozen=True)
class ServiceContext:
    """What an operation may know about the step that calls it."""

    session: Session
    instance_id: int
    branch_id: int | None
    village_id: int | None
    now: dt.datetime
    chance: Chance = field(default_factory=Chance)
