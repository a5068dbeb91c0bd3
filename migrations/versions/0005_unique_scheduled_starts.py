"""make scheduled starts unique

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 03:33:00.191537
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index('uq_process_instance_business_key', ['process_key', 'business_key'], unique=True, sqlite_where=sa.text("business_key != ''"), postgresql_where=sa.text("business_key != ''"))



def downgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('uq_process_instance_business_key', sqlite_where=sa.text("business_key != ''"), postgresql_where=sa.text("business_key != ''"))

