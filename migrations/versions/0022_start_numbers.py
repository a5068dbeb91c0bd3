"""start numbers: the whole numbers each case's start form gave, indexed by (field, value), so that
a nomination finds the running nominations of its nominee without reading every running case's
start event; filled in here for the cases already started, from their start events

The rows filled in here are on no event yet: `xianfeng init`, which runs this migration, puts them
on the chain right after it (`start_numbers.adopt_earlier_starts`), checked against the start
events, as it did for the rows written before migration 0009.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

FIELD_LENGTH = 128
BATCH = 500


def upgrade() -> None:
    op.create_table(
        "start_number",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=FIELD_LENGTH), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_start_number_instance_id_process_instance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_start_number")),
        sa.UniqueConstraint("instance_id", "field", name=op.f("uq_start_number_instance_id")),
    )
    op.create_index("ix_start_number_field_value", "start_number", ["field", "value", "instance_id"])
    _fill_in()


def downgrade() -> None:
    op.drop_index("ix_start_number_field_value", table_name="start_number")
    op.drop_table("start_number")


def _fill_in() -> None:
    """Each case's rows from its start event, a batch of cases at a time. A plain SQL insert: the
    journal's guard lets it through, and `init` records the rows on the chain next."""
    bind = op.get_bind()
    insert = sa.text("INSERT INTO start_number (instance_id, field, value) VALUES (:i, :f, :v)")
    for batch in _starts(bind):
        rows = [
            {"i": instance_id, "f": field, "v": value}
            for instance_id, payload in batch
            for field, value in _whole_numbers(payload)
        ]
        if rows:
            bind.execute(insert, rows)


def _starts(bind: Any) -> Iterator[list[tuple[int, str]]]:
    after = 0
    while True:
        batch = bind.execute(
            sa.text(
                "SELECT instance_id, payload FROM event WHERE kind = 'start' AND instance_version = 1 "
                "AND instance_id > :after ORDER BY instance_id LIMIT :n"
            ),
            {"after": after, "n": BATCH},
        ).all()
        if not batch:
            return
        yield [(row[0], row[1]) for row in batch]
        after = batch[-1][0]


def _whole_numbers(payload: str | None) -> list[tuple[str, int]]:
    """The top-level values of the start's data that are whole numbers, as the code of this
    revision keeps them (`models.start_numbers.whole_numbers`, copied so that this revision does
    not change with it): integers and floats without a fraction, not yes/no answers, within 64
    bits, under field names that fit the column."""
    try:
        data = json.loads(payload or "{}").get("data", {})
    except (ValueError, AttributeError):
        return []
    if not isinstance(data, dict):
        return []
    pairs = []
    for field, value in sorted(data.items(), key=lambda item: str(item[0])):
        if isinstance(value, bool) or not isinstance(value, int | float) or len(field) > FIELD_LENGTH:
            continue
        if isinstance(value, float) and not value.is_integer():
            continue
        if -(2**63) <= int(value) <= 2**63 - 1:
            pairs.append((field, int(value)))
    return pairs
