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

events = sa.table(
    'outbox_events',
    sa.column('seq', sa.BigInteger()),
    sa.column('environment', sa.String()),
    sa.column('occurred_at', kassa.store.types.UTCDateTime()),
    sa.column('created_at', kassa.store.types.UTCDateTime()),
    sa.column('dispatched_at', kassa.store.types.UTCDateTime()),
)
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
    sa.ForeignKeyConstraint(['event_seq'], ['outbox_events.seq'], name=op.f('fk_outbox_deliveries_event_seq_outbox_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('consumer', 'event_seq', name=op.f('pk_outbox_deliveries'))
    )
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_deliveries_environment_consumer_available_at_event_seq'), ['environment', 'consumer', 'available_at', 'event_seq'], unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    # Read first: on SQLite dropping the column rebuilds outbox_events, which must not happen
    # under a table that references it.
    pending = bind.execute(
        sa.select(events.c.seq, events.c.environment, events.c.occurred_at).where(UNDISPATCHED)
    ).all()
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_events_undispatched', postgresql_where=UNDISPATCHED, sqlite_where=UNDISPATCHED)
        batch_op.drop_column('dispatched_at')
    _create_tables()
    consumers = sa.table('outbox_consumers', sa.column('name'), sa.column('start'),
                         sa.column('started_at', kassa.store.types.UTCDateTime()))
    bind.execute(consumers.insert().values(name='webhooks', start='beginning',
                                           started_at=datetime.now(UTC)))
    rows = [{'consumer': 'webhooks', 'event_seq': r.seq, 'environment': r.environment,
             'available_at': r.occurred_at, 'attempts': 0} for r in pending]
    if rows:
        deliveries = sa.table(
            'outbox_deliveries', sa.column('consumer'), sa.column('event_seq'),
            sa.column('environment'), sa.column('available_at', kassa.store.types.UTCDateTime()),
            sa.column('attempts'),
        )
        bind.execute(deliveries.insert(), rows)


def downgrade() -> None:
    bind = op.get_bind()
    pending = list(bind.execute(sa.text(
        "SELECT event_seq FROM outbox_deliveries WHERE consumer = 'webhooks'"
    )).scalars())
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_deliveries_environment_consumer_available_at_event_seq'))
    op.drop_table('outbox_deliveries')
    op.drop_table('outbox_consumers')
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_events_undispatched', ['environment', 'occurred_at'], unique=False, postgresql_where=UNDISPATCHED, sqlite_where=UNDISPATCHED)
    bind.execute(events.update().values(dispatched_at=events.c.created_at))
    if pending:
        bind.execute(events.update().where(events.c.seq.in_(pending)).values(dispatched_at=None))
