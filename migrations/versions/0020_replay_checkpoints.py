"""replay checkpoints: where an earlier verify finished replaying each case cleanly, sealed with a
key kept outside the database, so that the next verify replays only what came after

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replay_checkpoint",
        sa.Column("instance_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("instance_version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bundle_hash", sa.String(length=64), nullable=False),
        sa.Column("events_digest", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("seal", sa.String(length=64), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_replay_checkpoint")),
    )


def downgrade() -> None:
    op.drop_table("replay_checkpoint")
