"""Events that belong to no instance: what administrators, members and the system do to the records
around the procedures (the organisation and accounts, holidays, deployments, files, work records
and their comments, listings for commendation, the scheduler's bookkeeping).

Each is appended to the same chain as the steps, carrying the rows its unit of work wrote
(`journal.capture`), with who did it, in which role, and why.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..actor import Actor
from ..journal.capture import journal_of
from ..kernel import Kernel
from ..process import history

SYSTEM = "system"


def record(
    session: Session,
    kernel: Kernel,
    actor: Actor | None,
    kind: str,
    payload: dict[str, Any],
    role: str = "",
    *,
    only_if_changed: bool = False,
) -> int | None:
    """Append an event about no instance with the rows written since the last event; its sequence
    number. With `only_if_changed`, an action that changed nothing (an idempotent set-up run
    again) appends nothing and returns None."""
    session.flush()
    if only_if_changed and not journal_of(session).pending:
        return None
    now = kernel.clock.now()
    appended = history.append(
        session,
        history.NewEvent(
            instance_id=None,
            instance_version=None,
            kind=kind,
            payload=payload,
            effects=[],
            business_time=now,
            recorded_at=now,
            actor_user_id=actor.user_id if actor else None,
            actor=actor.username if actor else SYSTEM,
            role=role,
        ),
    )
    return appended.seq
