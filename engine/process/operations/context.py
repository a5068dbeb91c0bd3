"""What a service-task operation may know about the step that calls it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ServiceContext:
    """What an operation may know about the step that calls it."""

    session: Session
    instance_id: int
    branch_id: int | None
    village_id: int | None
    now: dt.datetime
