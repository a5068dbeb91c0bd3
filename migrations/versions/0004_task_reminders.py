"""add task reminders and escalation

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 03:02:28.330350
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remind_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('escalate_to', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('escalate_to')
        batch_op.drop_column('remind_days')

