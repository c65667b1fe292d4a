"""foundation: keys, clocks, idempotency, outbox, catalog

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 00:10:48.966058
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kassa.store.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('id', name=op.f('uq_api_keys_id')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    op.create_table('clocks',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('frozen_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('environment', name=op.f('pk_clocks'))
    )
    op.create_table('customers',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('segment', sa.String(length=100), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('aliases', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('tax_rate', kassa.store.types.ExactDecimal(), nullable=True),
    sa.Column('tax_exempt', sa.Boolean(), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_customers')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_customers_environment_id'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_environment_created_at'), ['environment', 'created_at'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('response_body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('environment', 'key', name=op.f('uq_idempotency_keys_environment_key'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_expires_at'), ['expires_at'], unique=False)

    op.create_table('metrics',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('event_name', sa.String(length=255), nullable=False),
    sa.Column('aggregation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('filter_groups', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_metrics')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_metrics_environment_id'))
    )
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_metrics_environment_created_at'), ['environment', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_metrics_environment_event_name'), ['environment', 'event_name'], unique=False)

    op.create_table('outbox_events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('occurred_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox_events')),
    sa.UniqueConstraint('id', name=op.f('uq_outbox_events_id'))
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_events_environment_occurred_at'), ['environment', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_events_environment_type_occurred_at'), ['environment', 'type', 'occurred_at'], unique=False)

    op.create_table('products',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('fee_type', sa.String(length=16), nullable=False),
    sa.Column('payment_terms', sa.String(length=16), nullable=False),
    sa.Column('billing_frequency', sa.String(length=16), nullable=True),
    sa.Column('metric_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=True),
    sa.Column('unit_label_singular', sa.String(length=50), nullable=True),
    sa.Column('unit_label_plural', sa.String(length=50), nullable=True),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_products')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_products_environment_id'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_environment_created_at'), ['environment', 'created_at'], unique=False)

    op.create_table('customer_aliases',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('alias', sa.String(length=255), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'customer_id'], ['customers.environment', 'customers.id'], name=op.f('fk_customer_aliases_environment_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_customer_aliases')),
    sa.UniqueConstraint('environment', 'alias', name=op.f('uq_customer_aliases_environment_alias'))
    )
    with op.batch_alter_table('customer_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_aliases_environment_customer_id'), ['environment', 'customer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customer_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_aliases_environment_customer_id'))

    op.drop_table('customer_aliases')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_environment_created_at'))

    op.drop_table('products')
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_events_environment_type_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_outbox_events_environment_occurred_at'))

    op.drop_table('outbox_events')
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_metrics_environment_event_name'))
        batch_op.drop_index(batch_op.f('ix_metrics_environment_created_at'))

    op.drop_table('metrics')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_expires_at'))

    op.drop_table('idempotency_keys')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_environment_created_at'))

    op.drop_table('customers')
    op.drop_table('clocks')
    op.drop_table('api_keys')
