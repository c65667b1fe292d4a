"""reporting: each subscription version's MRR, and the indexes the dashboard's pages read by

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
        batch_op.create_index(batch_op.f('ix_invoices_environment_issue_date'), ['environment', 'issue_date'], unique=False)
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
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_environment_issue_date'))
    with op.batch_alter_table('subscription_versions', schema=None) as batch_op:
        batch_op.drop_column('mrr')
