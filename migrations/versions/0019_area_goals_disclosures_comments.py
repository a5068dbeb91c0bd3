"""areas and public supervision (issue 11, part B): an area's goals and the goal a work record
serves (目标管理), the members a division exempts with the reason, the lasting archive of the
reviews' disclosures, and villagers' comments with their receipts

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _created(name: str, *columns: sa.Column, indexes: tuple[str, ...] = ()) -> None:
    op.create_table(name, *columns, sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")))
    with op.batch_alter_table(name) as batch:
        for column in indexes:
            batch.create_index(batch.f(f"ix_{name}_{column}"), [column], unique=False)


def _fk(column: str, table: str, target: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey(f"{target}.id", name=op.f(f"fk_{table}_{column}_{target}")),
        nullable=nullable,
    )


def upgrade() -> None:
    _created(
        "area_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        _fk("area_id", "area_goal", "responsibility_area"),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("target_count", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        _fk("created_by", "area_goal", "app_user", nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        indexes=("area_id",),
    )
    _created(
        "area_exemption",
        sa.Column("id", sa.Integer(), nullable=False),
        _fk("division_instance_id", "area_exemption", "process_instance"),
        _fk("branch_id", "area_exemption", "branch"),
        _fk("member_id", "area_exemption", "member"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        indexes=("branch_id", "division_instance_id", "member_id"),
    )
    _created(
        "area_disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        _fk("area_id", "area_disclosure", "responsibility_area"),
        _fk("village_id", "area_disclosure", "village"),
        _fk("instance_id", "area_disclosure", "process_instance"),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("satisfaction", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("work", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        indexes=("area_id", "instance_id", "village_id"),
    )
    _created(
        "village_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_no", sa.String(length=32), nullable=False),
        _fk("village_id", "village_comment", "village"),
        _fk("branch_id", "village_comment", "branch"),
        _fk("instance_id", "village_comment", "process_instance"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        _fk("post_id", "village_comment", "model_post", nullable=True),
        _fk("area_id", "village_comment", "responsibility_area", nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=64), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("receipt_no", name=op.f("uq_village_comment_receipt_no")),
        indexes=("branch_id", "instance_id", "village_id"),
    )
    with op.batch_alter_table("area_work_record") as batch:
        batch.add_column(sa.Column("goal_id", sa.Integer(), nullable=True))
        name = batch.f("fk_area_work_record_goal_id_area_goal")
        batch.create_foreign_key(name, "area_goal", ["goal_id"], ["id"])
        batch.create_index(batch.f("ix_area_work_record_goal_id"), ["goal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("area_work_record") as batch:
        batch.drop_index(batch.f("ix_area_work_record_goal_id"))
        batch.drop_constraint(batch.f("fk_area_work_record_goal_id_area_goal"), type_="foreignkey")
        batch.drop_column("goal_id")
    for name in ("village_comment", "area_disclosure", "area_exemption", "area_goal"):
        op.drop_table(name)
