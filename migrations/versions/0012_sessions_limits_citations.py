"""sessions, shared limits and file citations: an account's credentials version (sign-out and a new
password end every session and token); counters of limits shared by every server process; when a
file was first cited (files left uncited for a day are removed)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_attachment_uploaded_at"), ["uploaded_at"], unique=False)
    # Files stored before this revision may be cited by any case: keep them all.
    op.execute("UPDATE attachment SET cited_at = uploaded_at")
    op.create_table(
        "rate_limit",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_ends", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit")),
    )
    with op.batch_alter_table("rate_limit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_limit_window_ends"), ["window_ends"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_limit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_window_ends"))
    op.drop_table("rate_limit")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_uploaded_at"))
        batch_op.drop_column("cited_at")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("credentials_version")
