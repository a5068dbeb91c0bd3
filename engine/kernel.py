"""The objects a service call needs, built once per process and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field

from .clock import Clock, SystemClock
from .config import Settings
from .db import Database
from .process.catalog import Catalog
from .services.kept_ahead import FiresAhead


@dataclass
class Kernel:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    catalog: Catalog = field(default_factory=Catalog)
    # Deadlines' ticks computed before they fall due (`services.fires_ahead`): this process's own.
    fires_ahead: FiresAhead = field(default_factory=FiresAhead)


def create_kernel(settings: Settings | None = None, clock: Clock | None = None) -> Kernel:
    settings = settings or Settings.from_env()
    return Kernel(settings=settings, db=Database.from_settings(settings), clock=clock or SystemClock())
