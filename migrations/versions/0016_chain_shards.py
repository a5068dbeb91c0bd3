"""chain shards: the chain has 16 strands, each with its own head row, so that steps of different
cases append side by side; events number themselves within their shard; the events so far are
the beginning of shard 0 (no shard number), and its head continues from the old single head

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SHARDS = 16
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "chain_head",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("business_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_chain_head")),
    )
    bind = op.get_bind()
    # typed, so that SQLite's stored text comes back as the datetime bulk_insert needs
    old = bind.execute(
        sa.text("SELECT hash, business_time FROM ledger_head WHERE id = 1").columns(
            sa.column("hash", sa.String), sa.column("business_time", sa.DateTime(timezone=True))
        )
    ).first()
    heads = sa.table(
        "chain_head",
        sa.column("shard", sa.Integer),
        sa.column("seq", sa.Integer),
        sa.column("hash", sa.String),
        sa.column("business_time", sa.DateTime(timezone=True)),
    )
    rows = [{"shard": s, "seq": 0, "hash": GENESIS, "business_time": None} for s in range(SHARDS)]
    if old is not None:  # the old single chain goes on as shard 0
        rows[0].update(hash=old[0], business_time=old[1])
    op.bulk_insert(heads, rows)
    op.drop_table("ledger_head")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shard", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("shard_seq", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_event_shard_seq", ["shard", "shard_seq"])
    if bind.dialect.name == "postgresql":
        last = bind.execute(sa.text("SELECT coalesce(max(seq), 0) FROM event")).scalar_one()
        op.execute(f"CREATE SEQUENCE event_seq START WITH {int(last) + 1}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS event_seq")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_event_shard_seq", type_="unique")
        batch_op.drop_column("shard_seq")
        batch_op.drop_column("shard")
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("business_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.execute(
        "INSERT INTO ledger_head (id, seq, hash, business_time) "
        "SELECT 1, coalesce(max(seq), 0), coalesce((SELECT hash FROM event ORDER BY seq DESC LIMIT 1), "
        f"'{GENESIS}'), (SELECT max(business_time) FROM event) FROM event"
    )
    op.execute("DROP TABLE chain_head")
