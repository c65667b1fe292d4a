"""usage thresholds and late usage

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 01:17:30.271689
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kassa.store.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('usage_late_marks',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('event_name', sa.String(length=255), nullable=False),
    sa.Column('earliest_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('environment', 'customer_id', 'event_name', name=op.f('pk_usage_late_marks'))
    )
    op.create_table('usage_thresholds',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('subscription_id', sa.String(length=80), nullable=True),
    sa.Column('metric_id', sa.String(length=80), nullable=False),
    sa.Column('value', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('last_period_start', sa.Date(), nullable=True),
    sa.Column('last_exceeded_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_usage_thresholds')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_usage_thresholds_environment_id'))
    )
    with op.batch_alter_table('usage_thresholds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_thresholds_environment_customer_id_status'), ['environment', 'customer_id', 'status'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('usage_billed_through_us', sa.BigInteger(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('usage_billed_through_us')

    with op.batch_alter_table('usage_thresholds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_thresholds_environment_customer_id_status'))

    op.drop_table('usage_thresholds')
    op.drop_table('usage_late_marks')
