"""add approver verbs, copies, signers and notifications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:41:50.570385
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_notification_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_unsent', ['sent_at'], unique=False)
        batch_op.create_index('ix_notification_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('task_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('from_user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['from_user_id'], ['app_user.id'], name=op.f('fk_task_copy_from_user_id_app_user')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_task_copy_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_task_copy_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_copy'))
    )
    with op.batch_alter_table('task_copy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_copy_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_copy_user_id'), ['user_id'], unique=False)

    op.create_table('task_signer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opinion', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_task_signer_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['requested_by'], ['app_user.id'], name=op.f('fk_task_signer_requested_by_app_user')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_task_signer_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_signer'))
    )
    with op.batch_alter_table('task_signer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_signer_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_signer_task_id'), ['task_id'], unique=False)
        batch_op.create_index('ix_task_signer_user_open', ['user_id', 'signed_at'], unique=False)

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delegation_state', sa.String(length=16), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_human_task_owner_user_id_app_user'), 'app_user', ['owner_user_id'], ['id'])

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_version', sa.Integer(), nullable=False, server_default='0'))

    # Every event so far was a workflow step: the state version is the event count.
    op.execute("UPDATE process_instance SET state_version = version")


def downgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('state_version')

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_human_task_owner_user_id_app_user'), type_='foreignkey')
        batch_op.drop_column('delegation_state')
        batch_op.drop_column('owner_user_id')

    with op.batch_alter_table('task_signer', schema=None) as batch_op:
        batch_op.drop_index('ix_task_signer_user_open')
        batch_op.drop_index(batch_op.f('ix_task_signer_task_id'))
        batch_op.drop_index(batch_op.f('ix_task_signer_instance_id'))

    op.drop_table('task_signer')
    with op.batch_alter_table('task_copy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_copy_user_id'))
        batch_op.drop_index(batch_op.f('ix_task_copy_instance_id'))

    op.drop_table('task_copy')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_unread')
        batch_op.drop_index('ix_notification_unsent')

    op.drop_table('notification')
