"""outbox consumers: a delivery row per consumer and event instead of one dispatched_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00.000000

The webhook fan-out becomes the consumer ``webhooks``, started from the beginning: the events
it had not dispatched yet (``dispatched_at IS NULL``) are its pending deliveries, the others are
not delivered again. ``dispatched_at`` is dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import kassa.store.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

UNDISPATCHED = sa.text('dispatched_at IS NULL')


def _create_tables() -> None:
    op.create_table('outbox_consumers',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('start', sa.String(length=40), nullable=False),
    sa.Column('started_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_outbox_consumers'))
    )
    op.create_table('outbox_deliveries',
    sa.Column('consumer', sa.String(length=64), nullable=False),
    sa.Column('event_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('available_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('failed_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('consumer', 'event_seq', name=op.f('pk_outbox_deliveries'))
    )
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_deliveries_environment_consumer_available_at_event_seq'), ['environment', 'consumer', 'available_at', 'event_seq'], unique=False)


def upgrade() -> None:
    _create_tables()
    op.get_bind().execute(
        sa.text("INSERT INTO outbox_consumers (name, start, started_at) "
                "VALUES ('webhooks', 'beginning', :at)").bindparams(
            sa.bindparam('at', type_=kassa.store.types.UTCDateTime())),
        {'at': datetime.now(UTC)},
    )
    op.execute(
        "INSERT INTO outbox_deliveries (consumer, event_seq, environment, available_at, attempts) "
        "SELECT 'webhooks', seq, environment, occurred_at, 0 FROM outbox_events "
        "WHERE dispatched_at IS NULL"
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_events_undispatched', postgresql_where=UNDISPATCHED, sqlite_where=UNDISPATCHED)
        batch_op.drop_column('dispatched_at')


def downgrade() -> None:
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_events_undispatched', ['environment', 'occurred_at'], unique=False, postgresql_where=UNDISPATCHED, sqlite_where=UNDISPATCHED)
    op.execute(
        "UPDATE outbox_events SET dispatched_at = created_at WHERE seq NOT IN "
        "(SELECT event_seq FROM outbox_deliveries WHERE consumer = 'webhooks')"
    )
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_deliveries_environment_consumer_available_at_event_seq'))
    op.drop_table('outbox_deliveries')
    op.drop_table('outbox_consumers')
