"""SQLAlchemy tables, one module per part of the domain. Importing this package registers them all."""

from .assessment import (
    AreaMember,
    AreaWorkRecord,
    AssessmentRecord,
    CommendationMark,
    Criticism,
    Rectification,
    ResponsibilityArea,
    Reward,
    ScheduleRun,
    Survey,
    SurveyLink,
    SurveyResponse,
    WorkRecordComment,
)
from .attachments import Attachment
from .base import Base, UtcDateTime
from .collaboration import Notification, TaskCopy, TaskSigner
from .delivery import NotificationDelivery
from .limits import RateCounter
from .org import Branch, Member, Town, User, UserRole, Village
from .process import (
    Artifact,
    ChainHead,
    Event,
    HumanTask,
    PendingMessage,
    ProcessDefinition,
    ProcessDraft,
    ProcessInstance,
    ProcessVersion,
    PublicLink,
    ReplayCheckpoint,
    TimerRow,
    VerifyRun,
)
from .records import CalendarDay, Counter, ModelPost, Objection, PublicNotice
from .start_numbers import StartNumber
from .stats import StatsCursor, StatsShardCursor, StepTiming
from .supervision import AreaDisclosure, AreaExemption, AreaGoal, VillageComment

__all__ = [
    "AreaDisclosure",
    "AreaExemption",
    "AreaGoal",
    "AreaMember",
    "AreaWorkRecord",
    "Artifact",
    "AssessmentRecord",
    "Attachment",
    "Base",
    "Branch",
    "CalendarDay",
    "ChainHead",
    "CommendationMark",
    "Counter",
    "Criticism",
    "Event",
    "HumanTask",
    "Member",
    "ModelPost",
    "Notification",
    "NotificationDelivery",
    "Objection",
    "PendingMessage",
    "ProcessDefinition",
    "ProcessDraft",
    "ProcessInstance",
    "ProcessVersion",
    "PublicLink",
    "PublicNotice",
    "RateCounter",
    "Rectification",
    "ReplayCheckpoint",
    "ResponsibilityArea",
    "Reward",
    "ScheduleRun",
    "StartNumber",
    "StatsCursor",
    "StatsShardCursor",
    "StepTiming",
    "Survey",
    "SurveyLink",
    "SurveyResponse",
    "TaskCopy",
    "TaskSigner",
    "TimerRow",
    "Town",
    "User",
    "UserRole",
    "UtcDateTime",
    "VerifyRun",
    "Village",
    "VillageComment",
    "WorkRecordComment",
]
