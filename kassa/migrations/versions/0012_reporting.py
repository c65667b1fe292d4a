"""reporting: each subscription version's MRR, and the indexes the dashboard's pages read by
(the report's covering indexes, customers by name, invoices by status and age)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kassa.store.types
from kassa.domain.approvals import monthly_recurring

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscription_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mrr', kassa.store.types.ExactDecimal(), nullable=True))
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_revenue', ['environment', 'issue_date', 'currency', 'status', 'kind', 'total'], unique=False)
        batch_op.create_index('ix_invoices_by_status', ['environment', 'status', 'created_at', 'seq'], unique=False)
        batch_op.create_index('ix_invoices_open_balances', ['environment', 'status', 'issue_date', 'currency', 'due_date', 'amount_due'], unique=False)
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_subscriptions_lifetimes', ['environment', 'id', 'activated_at', 'canceled_at', 'currency'], unique=False)
    with op.batch_alter_table('subscription_versions', schema=None) as batch_op:
        batch_op.create_index('ix_subscription_versions_mrr', ['environment', 'status', 'subscription_id', 'effective_at', 'number', 'mrr'], unique=False)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_by_name', ['environment', 'name', 'seq'], unique=False)
    # The versions already stored: their MRR as kassa.services.subscriptions.records writes it.
    versions = sa.table(
        'subscription_versions',
        sa.column('seq', sa.BigInteger()),
        sa.column('items', kassa.store.types.JSONDoc()),
        sa.column('mrr', kassa.store.types.ExactDecimal()),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(versions.c.seq, versions.c["items"])).all():
        bind.execute(versions.update().where(versions.c.seq == row.seq)
                     .values(mrr=monthly_recurring(row[1] or [])))


def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_by_name')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriptions_lifetimes')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_open_balances')
        batch_op.drop_index('ix_invoices_by_status')
        batch_op.drop_index('ix_invoices_revenue')
    with op.batch_alter_table('subscription_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_subscription_versions_mrr')
        batch_op.drop_column('mrr')
