"""multi-currency: fx_rates, subscriptions.price_currency, invoices.fx

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kassa.store.types

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fx_rates',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('quote', sa.String(length=3), nullable=False),
    sa.Column('rate', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('valid_from', kassa.store.types.ISODate(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_fx_rates')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_fx_rates_environment_id')),
    sa.UniqueConstraint('environment', 'base', 'quote', 'valid_from', name=op.f('uq_fx_rates_environment_base_quote_valid_from'))
    )
    op.create_index(op.f('ix_fx_rates_environment_created_at'), 'fx_rates', ['environment', 'created_at'], unique=False)
    op.create_index(op.f('ix_fx_rates_environment_quote_base_valid_from'), 'fx_rates', ['environment', 'quote', 'base', 'valid_from'], unique=False)
    op.add_column('subscriptions', sa.Column('price_currency', sa.String(length=3), nullable=True))
    op.add_column('invoices', sa.Column('fx', kassa.store.types.JSONDoc(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of subscriptions or invoices would take
    # the rows referencing them along on SQLite.
    op.drop_column('invoices', 'fx')
    op.drop_column('subscriptions', 'price_currency')
    op.drop_index(op.f('ix_fx_rates_environment_quote_base_valid_from'), table_name='fx_rates')
    op.drop_index(op.f('ix_fx_rates_environment_created_at'), table_name='fx_rates')
    op.drop_table('fx_rates')
