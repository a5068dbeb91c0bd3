"""add surveys, schedules, assessments, areas and the commendation ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:55:29.885461
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedule_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=64), nullable=False),
    sa.Column('occurrence_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('instances', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_run')),
    sa.UniqueConstraint('process_key', 'occurrence_at', name=op.f('uq_schedule_run_process_key'))
    )
    op.create_table('responsibility_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('division_instance_id', sa.Integer(), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_responsibility_area_branch_id_branch')),
    sa.ForeignKeyConstraint(['division_instance_id'], ['process_instance.id'], name=op.f('fk_responsibility_area_division_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['village_id'], ['village.id'], name=op.f('fk_responsibility_area_village_id_village')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responsibility_area'))
    )
    with op.batch_alter_table('responsibility_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responsibility_area_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responsibility_area_division_instance_id'), ['division_instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responsibility_area_village_id'), ['village_id'], unique=False)

    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('form', sa.String(length=128), nullable=False),
    sa.Column('links', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_survey_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey'))
    )
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_instance_id'), ['instance_id'], unique=False)

    op.create_table('area_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('lead', sa.Boolean(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('tasks', sa.Text(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('left_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['responsibility_area.id'], name=op.f('fk_area_member_area_id_responsibility_area')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_area_member_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_member'))
    )
    with op.batch_alter_table('area_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_member_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_area_member_member_id'), ['member_id'], unique=False)

    op.create_table('area_work_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('for_whom', sa.String(length=255), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('commented_by', sa.Integer(), nullable=True),
    sa.Column('commented_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['responsibility_area.id'], name=op.f('fk_area_work_record_area_id_responsibility_area')),
    sa.ForeignKeyConstraint(['commented_by'], ['app_user.id'], name=op.f('fk_area_work_record_commented_by_app_user')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_area_work_record_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_work_record'))
    )
    with op.batch_alter_table('area_work_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_work_record_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_area_work_record_member_id'), ['member_id'], unique=False)

    op.create_table('assessment_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('score', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('satisfaction', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_assessment_record_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['post_id'], ['model_post.id'], name=op.f('fk_assessment_record_post_id_model_post')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_record')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_assessment_record_instance_id'))
    )
    with op.batch_alter_table('assessment_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_record_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_record_year'), ['year'], unique=False)

    op.create_table('commendation_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['responsibility_area.id'], name=op.f('fk_commendation_mark_area_id_responsibility_area')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_commendation_mark_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_commendation_mark_member_id_member')),
    sa.ForeignKeyConstraint(['post_id'], ['model_post.id'], name=op.f('fk_commendation_mark_post_id_model_post')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commendation_mark'))
    )
    with op.batch_alter_table('commendation_mark', schema=None) as batch_op:
        batch_op.create_index('ix_commendation_mark_year_member', ['year', 'member_id'], unique=False)

    op.create_table('criticism',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['responsibility_area.id'], name=op.f('fk_criticism_area_id_responsibility_area')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_criticism_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_criticism_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criticism'))
    )
    with op.batch_alter_table('criticism', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criticism_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_criticism_member_id'), ['member_id'], unique=False)

    op.create_table('rectification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['responsibility_area.id'], name=op.f('fk_rectification_area_id_responsibility_area')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_rectification_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_rectification_member_id_member')),
    sa.ForeignKeyConstraint(['post_id'], ['model_post.id'], name=op.f('fk_rectification_post_id_model_post')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification'))
    )
    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_post_id'), ['post_id'], unique=False)

    op.create_table('reward',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('spiritual', sa.String(length=255), nullable=False),
    sa.Column('material', sa.String(length=255), nullable=False),
    sa.Column('amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['responsibility_area.id'], name=op.f('fk_reward_area_id_responsibility_area')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_reward_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_reward_member_id_member')),
    sa.ForeignKeyConstraint(['post_id'], ['model_post.id'], name=op.f('fk_reward_post_id_model_post')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward'))
    )
    with op.batch_alter_table('reward', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reward_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reward_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reward_year'), ['year'], unique=False)

    op.create_table('survey_link',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_link_survey_id_survey')),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_survey_link'))
    )
    with op.batch_alter_table('survey_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_link_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_response_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response'))
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_response_survey_id'), ['survey_id'], unique=False)

    with op.batch_alter_table('model_post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocation_instance_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('plate_returned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_model_post_revocation_instance_id_process_instance'), 'process_instance', ['revocation_instance_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('model_post', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_model_post_revocation_instance_id_process_instance'), type_='foreignkey')
        batch_op.drop_column('plate_returned_at')
        batch_op.drop_column('revocation_instance_id')

    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_survey_id'))

    op.drop_table('survey_response')
    with op.batch_alter_table('survey_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_link_survey_id'))

    op.drop_table('survey_link')
    with op.batch_alter_table('reward', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reward_year'))
        batch_op.drop_index(batch_op.f('ix_reward_member_id'))
        batch_op.drop_index(batch_op.f('ix_reward_instance_id'))

    op.drop_table('reward')
    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_post_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_member_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_instance_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_area_id'))

    op.drop_table('rectification')
    with op.batch_alter_table('criticism', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criticism_member_id'))
        batch_op.drop_index(batch_op.f('ix_criticism_instance_id'))

    op.drop_table('criticism')
    with op.batch_alter_table('commendation_mark', schema=None) as batch_op:
        batch_op.drop_index('ix_commendation_mark_year_member')

    op.drop_table('commendation_mark')
    with op.batch_alter_table('assessment_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_record_year'))
        batch_op.drop_index(batch_op.f('ix_assessment_record_post_id'))

    op.drop_table('assessment_record')
    with op.batch_alter_table('area_work_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_work_record_member_id'))
        batch_op.drop_index(batch_op.f('ix_area_work_record_area_id'))

    op.drop_table('area_work_record')
    with op.batch_alter_table('area_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_member_member_id'))
        batch_op.drop_index(batch_op.f('ix_area_member_area_id'))

    op.drop_table('area_member')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_instance_id'))

    op.drop_table('survey')
    with op.batch_alter_table('responsibility_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responsibility_area_village_id'))
        batch_op.drop_index(batch_op.f('ix_responsibility_area_division_instance_id'))
        batch_op.drop_index(batch_op.f('ix_responsibility_area_branch_id'))

    op.drop_table('responsibility_area')
    op.drop_table('schedule_run')
