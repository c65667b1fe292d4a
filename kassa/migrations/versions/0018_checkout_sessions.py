"""checkout_sessions: hosted checkout sessions (POST /checkout-sessions, the page /checkout/{id})

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kassa.store.types

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checkout_sessions',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('plan_id', sa.String(length=80), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=True),
    sa.Column('customer', kassa.store.types.JSONDoc(), nullable=True),
    sa.Column('success_url', sa.String(length=2000), nullable=False),
    sa.Column('cancel_url', sa.String(length=2000), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.String(length=80), nullable=True),
    sa.Column('invoice_id', sa.String(length=80), nullable=True),
    sa.Column('last_payment_error', sa.String(length=500), nullable=True),
    sa.Column('metadata', kassa.store.types.JSONDoc(), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_checkout_sessions')),
    sa.UniqueConstraint('id', name=op.f('uq_checkout_sessions_id'))
    )
    op.create_index(op.f('ix_checkout_sessions_environment_created_at'), 'checkout_sessions', ['environment', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_checkout_sessions_environment_created_at'), table_name='checkout_sessions')
    op.drop_table('checkout_sessions')
