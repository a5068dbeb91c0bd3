"""event indexes: find a task's completion by task_id; drop the index on instance_id alone, which the
unique (instance_id, instance_version) index already serves

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_instance_id")
        batch_op.create_index("ix_event_task_id", ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_task_id")
        batch_op.create_index("ix_event_instance_id", ["instance_id"], unique=False)
