"""What the statistics read besides the registers: how long each step of a case took.

A ready task's inbox row is deleted when it is done, so how long it waited is known only from the
log: the event that put the row up and the event that took it down. `StepTiming` keeps one row per
task, folded from the log by the ticker (`services.stats_steps`), so that "average working days per
step" is one indexed GROUP BY rather than a walk over the chain. It is derived, never relied on:
unchained, and rebuilt from the log by emptying it and its cursor.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime


class StepTiming(Base):
    """One human task of a case: when it was put up, when it was done, and in how many working days."""

    __tablename__ = "step_timing"
    __table_args__ = (Index("ix_step_timing_branch_ended", "branch_id", "ended_at"),)

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    process_key: Mapped[str] = mapped_column(String(64))
    spec_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(16))
    branch_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The kind of the event that took the task down when it named this task (complete, return…);
    # "" when it went with something else (the case was withdrawn, a timer ended the step).
    ended_by: Mapped[str] = mapped_column(String(32), default="")
    working_days: Mapped[int | None] = mapped_column(Integer)
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class StatsCursor(Base):
    """How far along the chain the step timings have been folded (one row): the highest event
    folded and its time, for the page. Events from before the chain had shards (`legacy_end`, the
    last of them) are folded by `seq`; every later one by its shard's `StatsShardCursor`."""

    __tablename__ = "stats_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    business_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    legacy_end: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class StatsShardCursor(Base):
    """How far each shard of the chain has been folded, by its gapless `shard_seq`.

    Not by `seq`: on PostgreSQL `seq` comes from a sequence, so an event may commit after one with
    a higher number, and a fold up to the highest number it could see would pass over it for good.
    Within a shard the numbers are handed out under the shard head's lock, so they commit in order.
    """

    __tablename__ = "stats_shard_cursor"

    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    shard_seq: Mapped[int] = mapped_column(Integer, default=0)
