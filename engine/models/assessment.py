"""Records of what happens to a post after it is established (R5–R7) and of the responsibility
areas (R8–R11): surveys, assessments, rectifications, rewards, revocations, areas, work records,
and the commendation ledger (评先选优) that all of them feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime


class Survey(Base):
    """A public satisfaction survey (群众满意度测评): single-use links answered until it closes."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    form: Mapped[str] = mapped_column(String(128))
    links: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class SurveyLink(Base):
    __tablename__ = "survey_link"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class SurveyResponse(Base):
    """One answer. The token is not kept with it: answers are anonymous, links single-use."""

    __tablename__ = "survey_response"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    answered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ScheduleRun(Base):
    """One occurrence of a diagram's `cycle` that the scheduler has started (so it starts once)."""

    __tablename__ = "schedule_run"
    __table_args__ = (UniqueConstraint("process_key", "occurrence_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(64))
    occurrence_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    instances: Mapped[int] = mapped_column(Integer)


class AssessmentRecord(Base):
    """The outcome of one assessment cycle of a post (R5)."""

    __tablename__ = "assessment_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("model_post.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    score: Mapped[float] = mapped_column(Numeric(5, 1))
    satisfaction: Mapped[float] = mapped_column(Numeric(5, 1))
    responses: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # excellent / pass / rectify / fail
    # Why the decision table gave this outcome (e.g. too few survey answers: the branch's score alone).
    basis: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Rectification(Base):
    """督促整改 (R5): problems, a deadline, the member's report and the branch's re-check."""

    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("model_post.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("responsibility_area.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    problems: Mapped[str] = mapped_column(Text)
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / passed / failed / ended
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Reward(Base):
    """精神奖励 and/or 物质奖励 (R6, R11): what was given, and how much."""

    __tablename__ = "reward"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("model_post.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("responsibility_area.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    spiritual: Mapped[str] = mapped_column(String(255), default="")
    material: Mapped[str] = mapped_column(String(255), default="")
    amount: Mapped[float] = mapped_column(Numeric(10, 2), default=0)
    awarded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class CommendationMark(Base):
    """The commendation ledger (评先选优): positive marks and blocks, per member and calendar year.

    A `block` (a revoked post, R7) makes the member ineligible for that year whatever else they
    earned; every mark names the instance that decided it.
    """

    __tablename__ = "commendation_mark"
    __table_args__ = (Index("ix_commendation_mark_year_member", "year", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # merit / block
    reason: Mapped[str] = mapped_column(Text)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("model_post.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("responsibility_area.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ResponsibilityArea(Base):
    """A 党员责任区 (R8): within one village, held by one member or by several with one lead."""

    __tablename__ = "responsibility_area"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft / active / retired
    division_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class AreaMember(Base):
    """A member's place in an area: lead or not, their scope and tasks (R8)."""

    __tablename__ = "area_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("responsibility_area.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    lead: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str] = mapped_column(Text, default="")
    tasks: Mapped[str] = mapped_column(Text, default="")
    joined_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    left_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    left_reason: Mapped[str] = mapped_column(Text, default="")


class AreaWorkRecord(Base):
    """A member's service in their area (R9): domain, what, for whom, outcome; the branch may comment."""

    __tablename__ = "area_work_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("responsibility_area.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # service / political
    domain: Mapped[str] = mapped_column(String(32))
    happened_on: Mapped[dt.date]
    what: Mapped[str] = mapped_column(Text)
    for_whom: Mapped[str] = mapped_column(String(255), default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    # sha256 of each attached file (photos on site, sign-in sheets), as a JSON list
    attachments: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("area_goal.id"), index=True)  # the goal it serves


class WorkRecordComment(Base):
    """The branch's comment on a work record (R9). Every comment is kept: a second one is added
    beside the first, never written over it."""

    __tablename__ = "work_record_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("area_work_record.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    commented_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    commented_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Criticism(Base):
    """党内批评 (R11): a recorded intra-Party criticism with its follow-up."""

    __tablename__ = "criticism"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("responsibility_area.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    follow_up: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
