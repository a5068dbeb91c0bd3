"""SQLAlchemy tables, one module per part of the domain. Importing this package registers them all."""

from .base import Base, UtcDateTime
from .collaboration import Notification, TaskCopy, TaskSigner
from .org import Branch, Member, Town, User, UserRole, Village
from .process import (
    Artifact,
    Event,
    HumanTask,
    LedgerHead,
    PendingMessage,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    PublicLink,
    TimerRow,
)
from .records import CalendarDay, Counter, ModelPost, Objection, PublicNotice

__all__ = [
    "Artifact",
    "Base",
    "Branch",
    "CalendarDay",
    "Counter",
    "Event",
    "HumanTask",
    "LedgerHead",
    "Member",
    "ModelPost",
    "Notification",
    "Objection",
    "PendingMessage",
    "ProcessDefinition",
    "ProcessInstance",
    "ProcessVersion",
    "PublicLink",
    "PublicNotice",
    "TaskCopy",
    "TaskSigner",
    "TimerRow",
    "Town",
    "User",
    "UserRole",
    "UtcDateTime",
    "Village",
]
