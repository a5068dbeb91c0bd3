"""Records of the responsibility areas' management and of the public's supervision (R4, R8–R10):
an area's goals (目标管理), the members a division exempts with the reason (落实到每一名党员), the
lasting archive of what each review disclosed (定期公开), and villagers' comments and complaints
with their receipts and the branch's answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime


class AreaGoal(Base):
    """A work goal of an area (R9, R10 目标管理): what is to be done, in which service domain, how
    many times, by when; work records name the goal they serve, and progress is counted from them."""

    __tablename__ = "area_goal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("responsibility_area.id"), index=True)
    title: Mapped[str] = mapped_column(String(128))
    domain: Mapped[str] = mapped_column(String(32), default="")
    target_count: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AreaExemption(Base):
    """A member of the branch a division leaves without an area, and why (R8: 落实到每一名党员).
    It follows its division: draft while drafted, active once approved, retired by the next."""

    __tablename__ = "area_exemption"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft / active / retired / discarded
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AreaDisclosure(Base):
    """What one review of an area published (R10 定期公开), kept for good: the work done in the
    period, each member's grade and the public's satisfaction. A disclosure an upheld objection
    overturned stays in the archive as withdrawn, with the finding."""

    __tablename__ = "area_disclosure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("responsibility_area.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    period: Mapped[str] = mapped_column(String(64))
    satisfaction: Mapped[float] = mapped_column(Numeric(5, 1))
    responses: Mapped[int] = mapped_column(Integer)
    grades: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    work: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="on_notice")  # on_notice / published / withdrawn
    published_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class VillageComment(Base):
    """A villager's opinion, suggestion or complaint (R4: 群众监督), about the village, one of its
    posts or one of its areas; it reaches the branch as a task, and its receipt number shows the answer."""

    __tablename__ = "village_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # opinion / suggestion / complaint
    post_id: Mapped[int | None] = mapped_column(ForeignKey("model_post.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("responsibility_area.id"))
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(64), default="")
    filed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / answered
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
