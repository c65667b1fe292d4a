"""report_rollups: the rollups the revenue reports read instead of every invoice and version
(revenue per issue day, open balances per issue and due day, MRR segments and their day sums),
built from the rows already stored

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 01:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kassa.store.types
from kassa.store import invoice_rollups, mrr_rollup

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('revenue_days',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('day', kassa.store.types.ISODate(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('environment', 'day', 'currency', name=op.f('pk_revenue_days'))
    )
    op.create_table('receivable_days',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('issue_date', kassa.store.types.ISODate(), nullable=False),
    sa.Column('due_date', kassa.store.types.ISODate(), nullable=False),
    sa.Column('amount_due', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('environment', 'currency', 'issue_date', 'due_date', name=op.f('pk_receivable_days'))
    )
    op.create_table('mrr_segments',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('subscription_id', sa.String(length=80), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('mrr', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('starts', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('environment', 'subscription_id', 'number', name=op.f('pk_mrr_segments'))
    )
    with op.batch_alter_table('mrr_segments', schema=None) as batch_op:
        batch_op.create_index('ix_mrr_segments_environment_ends_subscription_id', ['environment', 'ends', 'subscription_id'], unique=False)
        batch_op.create_index('ix_mrr_segments_environment_starts_subscription_id', ['environment', 'starts', 'subscription_id'], unique=False)
    op.create_table('mrr_days',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('day', kassa.store.types.ISODate(), nullable=False),
    sa.Column('mrr', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('environment', 'currency', 'day', name=op.f('pk_mrr_days'))
    )
    # The rows already stored, summed as the writers now keep the rollups.
    bind = op.get_bind()
    invoice_rollups.rebuild(bind)
    mrr_rollup.rebuild(bind)
    if bind.dialect.name == 'postgresql':  # plans for the reports' first reads, not autovacuum's
        op.execute('ANALYZE revenue_days, receivable_days, mrr_segments, mrr_days')


def downgrade() -> None:
    op.drop_table('mrr_days')
    with op.batch_alter_table('mrr_segments', schema=None) as batch_op:
        batch_op.drop_index('ix_mrr_segments_environment_starts_subscription_id')
        batch_op.drop_index('ix_mrr_segments_environment_ends_subscription_id')
    op.drop_table('mrr_segments')
    op.drop_table('receivable_days')
    op.drop_table('revenue_days')
