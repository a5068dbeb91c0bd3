"""The objects a service call needs, built once per process and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field

from .clock import Clock, SystemClock
from .config import Settings
from .db import Database
from .process.catalog import Catalog


@dataclass
class Kernel:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    catalog: Catalog = field(default_factory=Catalog)


def create_kernel(settings: Settings | None = None, clock: Clock | None = None) -> Kernel:
    settings = settings or Settings.from_env()
    return Kernel(settings=settings, db=Database.from_settings(settings), clock=clock or SystemClock())
