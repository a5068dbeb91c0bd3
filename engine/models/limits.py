"""Counters of limits that every server process shares (objections, sign-in failures).

A limit counted in a process's memory lets each gunicorn worker and each server admit its own
quota; kept in the database, every process counts the same hits. These rows are bookkeeping of
abuse, not records people rely on, so they are not on the chain (engine/journal/tables.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime


class RateCounter(Base):
    """Hits of one key (e.g. `objection:addr:10.0.0.7`, `sign-in:user:secretary1`) in its window."""

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    # The count is forgotten from this moment on (the next hit starts a new window).
    window_ends: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    last_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
