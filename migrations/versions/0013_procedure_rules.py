"""procedure rules (issue 11): a model post keeps its service domains and duties (R9, R12), and an
assessment record says on what basis the decision table graded it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_post") as batch:
        batch.add_column(sa.Column("service_domains", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("duties", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("assessment_record") as batch:
        batch.add_column(sa.Column("basis", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("assessment_record") as batch:
        batch.drop_column("basis")
    with op.batch_alter_table("model_post") as batch:
        batch.drop_column("duties")
        batch.drop_column("service_domains")
