"""statistics and delivery: step timings folded from the log (with their cursor) for the statistics
page, and the delivery of notifications by e-mail, robots and SMS with their attempts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "step_timing",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=64), nullable=False),
        sa.Column("spec_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=32), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_step_timing")),
    )
    op.create_index("ix_step_timing_branch_ended", "step_timing", ["branch_id", "ended_at"], unique=False)
    op.create_index(op.f("ix_step_timing_instance_id"), "step_timing", ["instance_id"], unique=False)
    op.create_table(
        "stats_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("business_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_cursor")),
    )
    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel_key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_notification_delivery_notification_id_notification"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_notification_delivery_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery")),
    )
    op.create_index(
        op.f("ix_notification_delivery_notification_id"),
        "notification_delivery",
        ["notification_id"],
        unique=False,
    )
    op.create_index(
        "ix_notification_delivery_status_next",
        "notification_delivery",
        ["status", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_notification_delivery_status_next", table_name="notification_delivery")
    op.drop_index(op.f("ix_notification_delivery_notification_id"), table_name="notification_delivery")
    op.drop_table("notification_delivery")
    op.drop_table("stats_cursor")
    op.drop_index(op.f("ix_step_timing_instance_id"), table_name="step_timing")
    op.drop_index("ix_step_timing_branch_ended", table_name="step_timing")
    op.drop_table("step_timing")
