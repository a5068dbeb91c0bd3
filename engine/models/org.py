"""The organisation: town, branches (党支部), villages (嘎查村), members (党员) and user accounts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .base import Base, UtcDateTime

# Roles a user account can hold. Lane names in the diagrams use the acting ones
# (member, branch, committee); `public` lanes are acted on through single-use links.
ROLE_MEMBER = "member"
ROLE_BRANCH = "branch"
ROLE_COMMITTEE = "committee"
ROLE_ADMIN = "admin"
ROLE_AUDITOR = "auditor"
ROLE_PUBLIC = "public"
# The command-line operator (who has the database anyway): reads everything, hands out links. Not an
# account role; no account can hold it.
ROLE_OPERATOR = "operator"
ACCOUNT_ROLES = (ROLE_MEMBER, ROLE_BRANCH, ROLE_COMMITTEE, ROLE_ADMIN, ROLE_AUDITOR)
LANE_ROLES = (ROLE_MEMBER, ROLE_BRANCH, ROLE_COMMITTEE, ROLE_PUBLIC)


class Town(Base):
    __tablename__ = "town"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))


class Branch(Base):
    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))

    villages: Mapped[list[Village]] = relationship(back_populates="branch", order_by="Village.id")


class Village(Base):
    """A 嘎查村, the basic unit of responsibility-area division (R8); served by one branch."""

    __tablename__ = "village"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))

    branch: Mapped[Branch] = relationship(back_populates="villages")


class Member(Base):
    """A Party member. The three ability grades are what R8 judges qualification on."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 党员编号, the branch's own numbering
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str] = mapped_column(String(8), default="")
    birth_year: Mapped[int | None] = mapped_column(Integer)
    joined_party_on: Mapped[dt.date | None] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(32), default="")
    # R8: political quality, professional ability, organising capacity; "strong" / "adequate" / "weak".
    political_quality: Mapped[str] = mapped_column(String(16), default="adequate")
    work_ability: Mapped[str] = mapped_column(String(16), default="adequate")
    organising_ability: Mapped[str] = mapped_column(String(16), default="adequate")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / moved / left
    # When the status took effect: joining the current branch (active), moving out (moved), leaving (left).
    status_since: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), unique=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Moved on by a sign-out or a password change: sessions and tokens carry the value they were
    # issued at, so every one of them ends at once (left out of the log: engine/journal/tables.py).
    credentials_version: Mapped[int] = mapped_column(Integer, default=0)
    # Set when an administrator gives out a temporary password: the next sign-in asks for a new one.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @validates("password_hash")
    def _new_password_ends_sessions(self, _key: str, value: str) -> str:
        """A new password, by whatever code sets it, ends every session and token of the account."""
        if self.password_hash is not None and value != self.password_hash:
            self.credentials_version = (self.credentials_version or 0) + 1
        return value


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
