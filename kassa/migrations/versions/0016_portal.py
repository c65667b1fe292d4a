"""portal: customer portal links (single-use tokens, stored hashed) and the visits they open;
customers' billing details (billing email, address, tax id)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 04:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kassa.store.types

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): a batch copy would drop the customers table, which
    # every customer's rows in other tables refer to.
    op.add_column('customers', sa.Column('billing_email', sa.String(length=320), nullable=True))
    op.add_column('customers', sa.Column('billing_address', kassa.store.types.JSONDoc(),
                                         nullable=True))
    op.add_column('customers', sa.Column('tax_id', sa.String(length=50), nullable=True))
    op.create_table('portal_sessions',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('settings', kassa.store.types.JSONDoc(), nullable=False),
    sa.Column('return_url', sa.String(length=2000), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_portal_sessions')),
    sa.UniqueConstraint('id', name=op.f('uq_portal_sessions_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portal_sessions_token_hash'))
    )
    op.create_index(op.f('ix_portal_sessions_environment_customer_id'), 'portal_sessions', ['environment', 'customer_id'], unique=False)
    op.create_table('portal_visits',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('portal_session_id', sa.String(length=80), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_portal_visits')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portal_visits_token_hash'))
    )
    op.create_index(op.f('ix_portal_visits_expires_at'), 'portal_visits', ['expires_at'], unique=False)


def downgrade() -> None:
    for column in ('tax_id', 'billing_address', 'billing_email'):
        op.drop_column('customers', column)
    op.drop_index(op.f('ix_portal_visits_expires_at'), table_name='portal_visits')
    op.drop_table('portal_visits')
    op.drop_index(op.f('ix_portal_sessions_environment_customer_id'), table_name='portal_sessions')
    op.drop_table('portal_sessions')
