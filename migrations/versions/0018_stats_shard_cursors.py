"""statistics fold each shard of the chain by its own gapless number: on PostgreSQL `seq` comes
from a sequence, so an event can commit after one with a higher number, and a fold up to the
highest number it saw would pass over it for good

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SHARDS = 16


def upgrade() -> None:
    op.create_table(
        "stats_shard_cursor",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shard_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_stats_shard_cursor")),
    )
    with op.batch_alter_table("stats_cursor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("legacy_end", sa.Integer(), server_default="0", nullable=False))
    bind = op.get_bind()
    folded = bind.execute(sa.text("SELECT seq FROM stats_cursor WHERE id = 1")).scalar()
    if folded is None:
        return  # nothing folded yet: the first fold makes the cursors
    legacy_end = bind.execute(sa.text("SELECT max(seq) FROM event WHERE shard_seq IS NULL")).scalar()
    bind.execute(sa.text("UPDATE stats_cursor SET legacy_end = :end WHERE id = 1"), {"end": legacy_end or 0})
    # What the old cursor passed over, shard by shard: every event it could see was committed.
    reached = dict(
        bind.execute(
            sa.text(
                "SELECT shard, max(shard_seq) FROM event WHERE seq <= :seq AND shard_seq IS NOT NULL "
                "GROUP BY shard"
            ),
            {"seq": folded},
        ).all()
    )
    rows = [{"shard": s, "shard_seq": int(reached.get(s) or 0)} for s in range(SHARDS)]
    op.bulk_insert(
        sa.table("stats_shard_cursor", sa.column("shard", sa.Integer), sa.column("shard_seq", sa.Integer)),
        rows,
    )


def downgrade() -> None:
    with op.batch_alter_table("stats_cursor", schema=None) as batch_op:
        batch_op.drop_column("legacy_end")
    op.drop_table("stats_shard_cursor")
