"""Usage that arrives for a billing period already invoiced, as ingestion sees it.

Billing records, per customer, the instant up to which usage has been invoiced
(``customers.usage_billed_through_us``). Ingestion marks each stored event before it as late
(``mark``: one row per customer and event name, with the earliest late instant), and the
customer's next invoice re-prices what the marks reach (``kassa.services.billing.late_usage``).
An upsert must not change a stored event whose period is invoiced (``invoiced_event_ids``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from kassa.store.tables import customers, usage_late_marks
from kassa.store.uow import UnitOfWork


def mark(uow: UnitOfWork, late: Iterable[tuple[str, str, int]]) -> None:
    """Remember late events (customer_id, event_name, timestamp_us): one mark per customer and
    event name, with the earliest instant. Ingestion calls it with the events it stored before
    their customer's ``usage_billed_through_us`` (see ``kassa.services.usage.followups``)."""
    earliest: dict[tuple[str, str], int] = {}
    for customer_id, event_name, ts in late:
        key = (customer_id, event_name)
        earliest[key] = min(ts, earliest.get(key, ts))
    if not earliest:
        return
    dialect = postgresql if uow.dialect == "postgresql" else sqlite
    stmt = dialect.insert(usage_late_marks)
    stmt = stmt.on_conflict_do_update(
        index_elements=["environment", "customer_id", "event_name"],
        set_={"earliest_us": _least(uow.dialect, usage_late_marks.c.earliest_us,
                                    stmt.excluded.earliest_us)},
    )
    uow.conn.execute(stmt, [
        {"environment": uow.environment, "customer_id": c, "event_name": e, "earliest_us": ts}
        for (c, e), ts in sorted(earliest.items())
    ])


def _least(dialect: str, a: Any, b: Any) -> Any:
    return func.least(a, b) if dialect == "postgresql" else func.min(a, b)


def invoiced_event_ids(
    conn: Connection, environment: str, events: Sequence[tuple[str, str | None, int]]
) -> set[str]:
    """The unique_ids among ``events`` — (unique_id, customer_id, timestamp_us) of stored events
    about to be upserted — whose billing period is already invoiced: those before the instant
    up to which their customer's usage is invoiced (one query for the whole batch)."""
    owners = {customer_id for _, customer_id, _ in events if customer_id is not None}
    if not owners:
        return set()
    through = dict(conn.execute(
        select(customers.c.id, customers.c.usage_billed_through_us).where(
            customers.c.environment == environment,
            customers.c.id.in_(sorted(owners)),
            customers.c.usage_billed_through_us.is_not(None),
        )
    ).all())
    return {
        uid
        for uid, customer_id, ts in events
        if customer_id in through and ts < through[customer_id]
    }
