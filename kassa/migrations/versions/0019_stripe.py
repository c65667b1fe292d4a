"""Stripe as a processor: processor_customers (a Stripe customer per Kassa customer),
processor_events (Stripe webhook events applied, once each), payment_methods.processor_customer

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kassa.store.types

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('processor_customers',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('processor', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('environment', 'processor', 'customer_id', name=op.f('pk_processor_customers')),
    sa.UniqueConstraint('environment', 'processor', 'reference', name=op.f('uq_processor_customers_environment_processor_reference'))
    )
    op.create_table('processor_events',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('processor', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('received_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('environment', 'processor', 'event_id', name=op.f('pk_processor_events'))
    )
    op.add_column('payment_methods', sa.Column('processor_customer', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payment_methods') as batch:
        batch.drop_column('processor_customer')
    op.drop_table('processor_events')
    op.drop_table('processor_customers')
