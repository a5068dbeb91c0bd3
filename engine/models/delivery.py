"""Delivery of notifications beyond the page: one row per notification and channel (an e-mail
address, a DingTalk, WeCom or Feishu robot, an SMS gateway), with its attempts, the next try and the
last error. The administrator lists the failed ones.

The channel's address is not stored: it may hold a robot's secret or a mail password. The row keeps
a key of the configured address (to find it again) and its masked form (to show).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime


class NotificationDelivery(Base):
    __tablename__ = "notification_delivery"
    __table_args__ = (Index("ix_notification_delivery_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    channel_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(255))  # the masked address, for people
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / sent / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
