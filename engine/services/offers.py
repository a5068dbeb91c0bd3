"""Where the pages offer a procedure: a property of its diagram's start event, so that no page or
template names a process key.

`offer` on a start event names the places (comma-separated) where the procedure is started from:
`nomination` (the menu's 发起提名), `posts` (the register's start for all its posts), `areas`…
A place is the pages' word; which procedure fills it is the diagrams'.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..actor import Actor
from ..errors import NotFound
from ..kernel import Kernel
from ..models import ProcessDefinition
from ..process.case_fields import start_properties

OFFER_PROPERTY = "offer"


@dataclass(frozen=True)
class Offer:
    process_key: str
    name: str
    start_role: str | None


def offered(kernel: Kernel, place: str) -> list[Offer]:
    """The current procedures whose diagrams offer them at `place`, by process key."""
    found = []
    with kernel.db.unit_of_work(write=False) as uow:
        keys = uow.session.execute(
            select(ProcessDefinition.process_key).order_by(ProcessDefinition.process_key)
        ).scalars()
        for key in list(keys):
            version = kernel.catalog.current(uow.session, key)
            places = {p.strip() for p in start_properties(version).get(OFFER_PROPERTY, "").split(",")}
            if place in places:
                found.append(Offer(key, version.name or key, version.start_role))
    return found


def offered_to(kernel: Kernel, actor: Actor, place: str) -> list[Offer]:
    """Those the actor may start (the role of the start event's lane)."""
    return [o for o in offered(kernel, place) if o.start_role is not None and actor.has(o.start_role)]


def process_for(kernel: Kernel, place: str) -> str:
    """The one procedure offered at `place`; NotFound when no diagram (or more than one) offers it."""
    found = offered(kernel, place)
    if len(found) != 1:
        named = ", ".join(o.process_key for o in found) or "none"
        raise NotFound(f"one procedure must be offered at {place!r}; the diagrams offer {named}", place=place)
    return found[0].process_key
