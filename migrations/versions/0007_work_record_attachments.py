"""work record attachments: the files a member attaches to a work record (R9)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 04:22:54.720085
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('area_work_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.Text(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('area_work_record', schema=None) as batch_op:
        batch_op.drop_column('attachments')
