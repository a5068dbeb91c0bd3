"""Two reads the services do not offer yet, each in its own read-only unit of work.

- the start form of a process (`Catalog.current(...).start_form`, or none), for the 发起 page;
- the working-day calendar, for the notice board's "还剩 N 个工作日".

They only read, through the engine's own catalog and calendar; when the engine grows a service for
either, the page calls that instead and this module goes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from xianfeng.engine.actor import Actor
from xianfeng.engine.errors import NotFound
from xianfeng.engine.services import authz
from xianfeng.engine.services.calendar_admin import load_calendar
from xianfeng.forms import FormDefinition

from ..context import kernel


@dataclass(frozen=True)
class StartForm:
    process_key: str
    name: str
    form: FormDefinition | None  # None: the process starts without data (e.g. a division of areas)


def start_form(actor: Actor, process_key: str) -> StartForm:
    """The current version's start form, refused (NotAllowed) to those who may not start it.

    A process started per subject (`startFor`) has no page of its own: the registers start it for
    every subject at once."""
    with kernel().db.unit_of_work(write=False) as uow:
        version = kernel().catalog.current(uow.session, process_key)
        authz.check_may_start(actor, process_key, version.start_role)
        name = version.name or process_key
        if version.start_form:
            return StartForm(process_key, name, version.form(version.start_form))
        if version.start_for:
            raise NotFound(f"process {process_key} is started per subject", process_key=process_key)
        return StartForm(process_key, name, None)


def working_days_left(ends: Iterable[tuple[int, dt.datetime]]) -> dict[int, int]:
    """Working days from now until each end, by id, on the calendar the engine counts with."""
    now = kernel().clock.now()
    with kernel().db.unit_of_work(write=False) as uow:
        calendar = load_calendar(uow.session)
        return {key: calendar.working_days_between(now, end) for key, end in ends}
