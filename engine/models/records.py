"""Domain records that service tasks write: the model-post register, public notices and the
objections raised against them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime


class ModelPost(Base):
    """The register of Party member model posts (党员示范岗), R4: plate (标牌) and badge (徽章)."""

    __tablename__ = "model_post"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plate_no: Mapped[str] = mapped_column(String(32), unique=True)
    badge_no: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"), index=True)
    title: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(32))
    pledge: Mapped[str] = mapped_column(Text, default="")
    # R9, R12: the domains it serves the public in (codes of the nomination form), and its duties
    # as the branch determined them (岗位职责).
    service_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    duties: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / revoked
    established_on: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    badge_issued_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    creation_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    revocation_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    plate_returned_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class PublicNotice(Base):
    """A 公示 on the public notice board, with its period counted in working days."""

    __tablename__ = "public_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    working_days: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / ended
    outcome: Mapped[str] = mapped_column(String(32), default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Objection(Base):
    """An objection (异议) raised by the public during a notice; the receipt number lets the
    objector check the branch's answer."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("public_notice.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(64), default="")
    filed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / upheld / dismissed
    finding: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Counter(Base):
    """Named monotonic counters (plate and badge numbers per year), incremented under the step's lock."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class CalendarDay(Base):
    """An administrator's entry for a year beyond the packaged holiday calendar: a public holiday
    or a make-up working day (调休)."""

    __tablename__ = "calendar_day"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # holiday / workday
    name: Mapped[str] = mapped_column(String(64), default="")
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
