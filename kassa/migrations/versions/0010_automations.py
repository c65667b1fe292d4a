"""automations: definitions, versions, executions, step runs, schedules, tasks

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:16:01.037779
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kassa.store.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('automations',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('current_version_id', sa.String(length=80), nullable=True),
    sa.Column('latest_version_id', sa.String(length=80), nullable=False),
    sa.Column('trigger_event', sa.String(length=80), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_automations')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_automations_environment_id'))
    )
    with op.batch_alter_table('automations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_automations_environment_created_at'), ['environment', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_automations_environment_trigger_event_status'), ['environment', 'trigger_event', 'status'], unique=False)

    op.create_table('tasks',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assignee', sa.String(length=255), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=True),
    sa.Column('invoice_id', sa.String(length=80), nullable=True),
    sa.Column('execution_id', sa.String(length=80), nullable=True),
    sa.Column('source', sa.String(length=120), nullable=True),
    sa.Column('completed_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_tasks')),
    sa.UniqueConstraint('environment', 'execution_id', 'source', name=op.f('uq_tasks_environment_execution_id_source')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_tasks_environment_id'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_environment_created_at'), ['environment', 'created_at'], unique=False)

    op.create_table('automation_executions',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('automation_id', sa.String(length=80), nullable=False),
    sa.Column('version_id', sa.String(length=80), nullable=False),
    sa.Column('trigger_key', sa.String(length=120), nullable=False),
    sa.Column('triggered_by', sa.String(length=80), nullable=False),
    sa.Column('triggered_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('trigger', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('cursor', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('steps_executed', sa.Integer(), nullable=False),
    sa.Column('resume_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'automation_id'], ['automations.environment', 'automations.id'], name=op.f('fk_automation_executions_environment_automation_id_automations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_automation_executions')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_automation_executions_environment_id')),
    sa.UniqueConstraint('environment', 'version_id', 'trigger_key', name=op.f('uq_automation_executions_environment_version_id_trigger_key'))
    )
    with op.batch_alter_table('automation_executions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_automation_executions_environment_automation_id_created_at'), ['environment', 'automation_id', 'created_at'], unique=False)

    op.create_table('automation_schedules',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('automation_id', sa.String(length=80), nullable=False),
    sa.Column('version_id', sa.String(length=80), nullable=False),
    sa.Column('next_run_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'automation_id'], ['automations.environment', 'automations.id'], name=op.f('fk_automation_schedules_environment_automation_id_automations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_automation_schedules')),
    sa.UniqueConstraint('environment', 'automation_id', name=op.f('uq_automation_schedules_environment_automation_id')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_automation_schedules_environment_id'))
    )
    with op.batch_alter_table('automation_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_automation_schedules_environment_next_run_at'), ['environment', 'next_run_at'], unique=False)

    op.create_table('automation_versions',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('automation_id', sa.String(length=80), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('activated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'automation_id'], ['automations.environment', 'automations.id'], name=op.f('fk_automation_versions_environment_automation_id_automations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_automation_versions')),
    sa.UniqueConstraint('environment', 'automation_id', 'number', name=op.f('uq_automation_versions_environment_automation_id_number')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_automation_versions_environment_id'))
    )
    op.create_table('automation_step_runs',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('execution_id', sa.String(length=80), nullable=False),
    sa.Column('step_key', sa.String(length=400), nullable=False),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('output', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'execution_id'], ['automation_executions.environment', 'automation_executions.id'], name=op.f('fk_automation_step_runs_environment_execution_id_automation_executions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_automation_step_runs')),
    sa.UniqueConstraint('environment', 'execution_id', 'step_key', name=op.f('uq_automation_step_runs_environment_execution_id_step_key')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_automation_step_runs_environment_id'))
    )


def downgrade() -> None:
    op.drop_table('automation_step_runs')
    op.drop_table('automation_versions')
    with op.batch_alter_table('automation_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_automation_schedules_environment_next_run_at'))

    op.drop_table('automation_schedules')
    with op.batch_alter_table('automation_executions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_automation_executions_environment_automation_id_created_at'))

    op.drop_table('automation_executions')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_environment_created_at'))

    op.drop_table('tasks')
    with op.batch_alter_table('automations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_automations_environment_trigger_event_status'))
        batch_op.drop_index(batch_op.f('ix_automations_environment_created_at'))

    op.drop_table('automations')
