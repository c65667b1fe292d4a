"""usage events: the deduplicated event store metrics aggregate

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:23:29.191650
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kassa.store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('usage_events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('unique_id', sa.String(length=255), nullable=False),
    sa.Column('event_name', sa.String(length=255), nullable=False),
    sa.Column('account', sa.String(length=255), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=True),
    sa.Column('timestamp_us', sa.BigInteger(), nullable=False),
    sa.Column('properties', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_usage_events')),
    sa.UniqueConstraint('environment', 'unique_id', name=op.f('uq_usage_events_environment_unique_id'))
    )
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_events_environment_customer_id_event_name_timestamp_us'), ['environment', 'customer_id', 'event_name', 'timestamp_us'], unique=False)
        # Partial: only events whose account matched no customer (the debugger's lookup).
        batch_op.create_index('ix_usage_events_unattributed', ['environment', 'account'], unique=False, sqlite_where=sa.text('customer_id IS NULL'), postgresql_where=sa.text('customer_id IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_events_unattributed')
        batch_op.drop_index(batch_op.f('ix_usage_events_environment_customer_id_event_name_timestamp_us'))

    op.drop_table('usage_events')
