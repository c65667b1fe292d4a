"""subscription.ending_soon markers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import sqlalchemy as sa
from alembic import op

import kassa.store.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ending_soon_for', kassa.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ending_soon_sent', kassa.store.types.JSONDoc(), nullable=True))
        batch_op.create_index(batch_op.f('ix_subscriptions_environment_ending_soon_for'), ['environment', 'ending_soon_for'], unique=False)
    # Subscriptions already under way: the end to announce is a scheduled cancellation or the
    # end of a fixed term, whichever comes first (as kassa.domain.contracts.commitment_end says).
    subs = sa.table(
        'subscriptions',
        sa.column('seq', sa.BigInteger()),
        sa.column('status', sa.String()),
        sa.column('contract', kassa.store.types.JSONDoc()),
        sa.column('term_end', sa.Date()),
        sa.column('cancel_at', kassa.store.types.UTCDateTime()),
        sa.column('ending_soon_for', kassa.store.types.UTCDateTime()),
    )
    bind = op.get_bind()
    live = bind.execute(sa.select(subs).where(subs.c.status.in_(('active', 'paused')))).all()
    for row in live:
        ends = [row.cancel_at] if row.cancel_at is not None else []
        if row.contract.get('period_type') == 'fixed' and row.term_end is not None:
            ends.append(datetime.combine(row.term_end, time(0), tzinfo=UTC))
        if ends:
            bind.execute(subs.update().where(subs.c.seq == row.seq).values(ending_soon_for=min(ends)))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_environment_ending_soon_for'))
        batch_op.drop_column('ending_soon_sent')
        batch_op.drop_column('ending_soon_for')
