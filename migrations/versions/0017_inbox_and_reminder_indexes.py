"""inbox and reminder indexes: each part of an inbox (open to a role in a branch, open to a role in
the town, assigned to one person) is an index ordered by due date, so a page is found without
sorting every open task; partial indexes hold the tasks still to be reminded or escalated, so the
ticker's check each second reads those alone; a person's events by sequence, for 已办

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

REMIND_WHERE = "remind_days IS NOT NULL AND reminded_at IS NULL"
ESCALATE_WHERE = "escalate_to != '' AND escalated_at IS NULL"
QUEUE = ["role", "branch_id", "assignee_user_id", "due_at", "created_at", "id"]


def upgrade() -> None:
    op.drop_index("ix_human_task_role_branch", table_name="human_task")
    op.drop_index("ix_human_task_assignee", table_name="human_task")
    op.create_index("ix_human_task_queue", "human_task", QUEUE)
    op.create_index("ix_human_task_town_queue", "human_task", [c for c in QUEUE if c != "branch_id"])
    op.create_index("ix_human_task_assigned", "human_task", QUEUE[2:])
    op.create_index(
        "ix_human_task_to_remind",
        "human_task",
        ["remind_days", "due_at"],
        sqlite_where=sa.text(REMIND_WHERE),
        postgresql_where=sa.text(REMIND_WHERE),
    )
    op.create_index(
        "ix_human_task_to_escalate",
        "human_task",
        ["due_at"],
        sqlite_where=sa.text(ESCALATE_WHERE),
        postgresql_where=sa.text(ESCALATE_WHERE),
    )
    op.create_index("ix_event_actor_seq", "event", ["actor_user_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_event_actor_seq", table_name="event")
    for name in (
        "ix_human_task_to_escalate",
        "ix_human_task_to_remind",
        "ix_human_task_assigned",
        "ix_human_task_town_queue",
        "ix_human_task_queue",
    ):
        op.drop_index(name, table_name="human_task")
    op.create_index("ix_human_task_assignee", "human_task", ["assignee_user_id"])
    op.create_index("ix_human_task_role_branch", "human_task", ["role", "branch_id"])
