"""Files attached to forms (佐证材料): stored once by content, cited by their sha256 in task data.

The bytes live in the database, not in a folder beside it, so that a PostgreSQL deployment on
several machines, a backup and an auditor's evidence dossier all hold the files the log cites.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime


class Attachment(Base):
    """One file by content: the same bytes uploaded twice are one row (the first name is kept)."""

    __tablename__ = "attachment"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    # When a step first cited the file in a file field; a file still uncited a day after its
    # upload is removed by the ticker (a refused form's files do not stay).
    cited_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    content: Mapped[bytes] = mapped_column(LargeBinary)
