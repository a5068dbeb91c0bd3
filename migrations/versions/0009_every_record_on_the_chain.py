"""every record on the chain: events record the rows they write (changes) and may concern no
instance; the head keeps the last business time; work-record comments are kept one per row;
the unused delivered_seq goes (the delivering event names its message)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.Text(), server_default="[]", nullable=False))
        batch_op.alter_column("instance_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("instance_version", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("kind", existing_type=sa.String(length=16), type_=sa.String(length=32))
    with op.batch_alter_table("ledger_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("business_time", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE ledger_head SET business_time = (SELECT max(business_time) FROM event)"
    )
    with op.batch_alter_table("pending_message", schema=None) as batch_op:
        batch_op.drop_column("delivered_seq")
    op.create_table(
        "work_record_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("commented_by", sa.Integer(), nullable=False),
        sa.Column("commented_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commented_by"], ["app_user.id"], name=op.f("fk_work_record_comment_commented_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["area_work_record.id"], name=op.f("fk_work_record_comment_record_id_area_work_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_record_comment")),
    )
    with op.batch_alter_table("work_record_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_record_comment_record_id"), ["record_id"], unique=False)
    op.execute(
        "INSERT INTO work_record_comment (record_id, text, commented_by, commented_at) "
        "SELECT id, comment, commented_by, commented_at FROM area_work_record "
        "WHERE comment != '' AND commented_by IS NOT NULL AND commented_at IS NOT NULL"
    )
    with op.batch_alter_table("area_work_record", schema=None) as batch_op:
        batch_op.drop_constraint("fk_area_work_record_commented_by_app_user", type_="foreignkey")
        batch_op.drop_column("commented_at")
        batch_op.drop_column("commented_by")
        batch_op.drop_column("comment")


def downgrade() -> None:
    with op.batch_alter_table("area_work_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comment", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("commented_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("commented_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_area_work_record_commented_by_app_user", "app_user", ["commented_by"], ["id"]
        )
    with op.batch_alter_table("work_record_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_record_comment_record_id"))
    op.drop_table("work_record_comment")
    with op.batch_alter_table("pending_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivered_seq", sa.Integer(), nullable=True))
    with op.batch_alter_table("ledger_head", schema=None) as batch_op:
        batch_op.drop_column("business_time")
    op.execute("DELETE FROM event WHERE instance_id IS NULL")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=32), type_=sa.String(length=16))
        batch_op.alter_column("instance_version", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("instance_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("changes")
