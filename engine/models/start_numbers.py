"""The whole numbers a case's start form gave, one row per field, so that the running cases naming
a member in a field (another nomination of the same nominee) are found through an index instead
of by reading every running case's start event.

The rows are what the start event's data says, written with that event (and chained): a row
removed behind the system's back is found by `verify`, so it cannot quietly let a second
nomination of a member through.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

FIELD_LENGTH = 128
_SMALLEST, _LARGEST = -(2**63), 2**63 - 1  # what a BIGINT holds on both databases


class StartNumber(Base):
    """One whole number of one case's start form: (field, value), looked up by both."""

    __tablename__ = "start_number"
    __table_args__ = (
        UniqueConstraint("instance_id", "field"),
        # The lookup: which cases gave this number in this field (`member_standing`).
        Index("ix_start_number_field_value", "field", "value", "instance_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    field: Mapped[str] = mapped_column(String(FIELD_LENGTH))
    value: Mapped[int] = mapped_column(BigInteger)


def whole_number(value: Any) -> int | None:
    """`value` as a number the table holds, or None.

    A float without a fraction counts (it compares equal to the integer, as the start event's data
    always did when it was read whole); a yes/no answer does not (Python calls `True` 1, a form
    does not). Numbers beyond 64 bits are left out: no form asks for one, and no column holds it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    number = int(value)
    return number if _SMALLEST <= number <= _LARGEST else None


def whole_numbers(data: Any) -> list[tuple[str, int]]:
    """The (field, number) pairs of a start's data the table holds, by field: its top-level values
    that are whole numbers (see `whole_number`), under field names that fit the column."""
    if not isinstance(data, dict):
        return []
    pairs = []
    for field, value in sorted(data.items(), key=lambda item: str(item[0])):
        number = whole_number(value)
        if number is not None and isinstance(field, str) and len(field) <= FIELD_LENGTH:
            pairs.append((field, number))
    return pairs
