"""What ingestion does after storing a batch, in the same transaction: mark events that arrived
for an already-invoiced period (late usage) and check usage thresholds.

One lookup for the whole batch finds the customers concerned; for the usual batch (nothing late,
no threshold) that is all it costs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, exists, or_, select

from kassa.services import usage_thresholds
from kassa.services.billing import late_usage
from kassa.store.queries import among
from kassa.store.tables import customers
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
    rows = uow.conn.execute(
        select(customers.c.id, customers.c.usage_billed_through_us, has_threshold).where(
            customers.c.environment == uow.environment,
            among(uow.conn, customers.c.id, sorted({c for c, _, _ in events})),
            or_(and_(customers.c.usage_billed_through_us.is_not(None),
                     customers.c.usage_billed_through_us > earliest), has_threshold),
        )
    ).all()
    if not rows:
        return
    through = {r[0]: r[1] for r in rows if r[1] is not None}
    watched = {r[0] for r in rows if r[2]}
    late_usage.mark(uow, [e for e in events if e[0] in through and e[2] < through[e[0]]])
    usage_thresholds.check(uow, [e for e in events if e[0] in watched])
