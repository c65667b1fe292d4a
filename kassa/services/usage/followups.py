"""What ingestion does after storing a batch, in the same transaction: mark events that arrived
for an already-invoiced period (late usage) and enqueue the check of usage thresholds.

One lookup for the whole batch finds the customers concerned; for the usual batch (nothing late,
no threshold) that is all it costs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, exists, or_, select

from kassa.services.usage import late as late_usage
from kassa.services.usage import thresholds as usage_thresholds
from kassa.store.queries import among
from kassa.store.tables import customers, subscriptions
from kassa.store.tables import usage_thresholds as thresholds_table
from kassa.store.uow import UnitOfWork


def after_ingest(uow: UnitOfWork, events: Sequence[tuple[str, str, int]]) -> None:
    """``events``: (customer_id, event_name, timestamp_us) of the events just stored."""
    if not events:
        return
    has_threshold = exists().where(
        thresholds_table.c.environment == customers.c.environment,
        thresholds_table.c.customer_id == customers.c.id,
        thresholds_table.c.status == "active",
    )
    earliest = min(ts for _, _, ts in events)
    late = and_(customers.c.usage_billed_through_us.is_not(None),
                customers.c.usage_billed_through_us > earliest)
    query = select(customers.c.id, customers.c.usage_billed_through_us, has_threshold).where(
        customers.c.environment == uow.environment,
        among(uow.conn, customers.c.id, sorted({c for c, _, _ in events})),
        or_(late, has_threshold, _billing_due(uow)),
    )
    if uow.dialect == "postgresql":
        # The customers a billing run may be invoicing right now are key-share locked, in id
        # order. The run holds its customers FOR UPDATE from before it measures their usage
        # until it commits, so either it measures after this batch commits (and bills these
        # events), or this waits for it and reads the usage_billed_through_us it moved (and
        # marks the events late). Without the lock, an event committed while the run was in
        # flight was in neither. (SQLite runs one writer at a time.)
        query = query.order_by(customers.c.id).with_for_update(read=True, key_share=True,
                                                               of=customers)
    rows = [r for r in uow.conn.execute(query).all()
            if r[2] or (r[1] is not None and r[1] > earliest)]
    if not rows:
        return
    through = {r[0]: r[1] for r in rows if r[1] is not None}
    watched = {r[0] for r in rows if r[2]}
    late_usage.mark(uow, [e for e in events if e[0] in through and e[2] < through[e[0]]])
    usage_thresholds.check_later(uow, watched)


def _billing_due(uow: UnitOfWork) -> object:
    """The customer has a subscription whose billing is due: a run may be invoicing it now."""
    return exists().where(
        subscriptions.c.environment == customers.c.environment,
        subscriptions.c.customer_id == customers.c.id,
        subscriptions.c.next_billing_at <= uow.now,
    )
