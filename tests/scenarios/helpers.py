"""Reading what a scenario emitted: the outbox, in order."""

from __future__ import annotations

from sqlalchemy import select

from kassa.services.serialize import rfc3339
from kassa.store.tables import outbox_events


def events(kassa, *, prefix: str = "", subscription_id: str | None = None) -> list[tuple[str, str]]:
    """``[(type, occurred_at)]`` of the outbox, optionally only one subscription's."""
    with kassa.engine.connect() as conn:
        rows = conn.execute(select(outbox_events).order_by(outbox_events.c.seq)).mappings().all()
    return [
        (r["type"], rfc3339(r["occurred_at"]))
        for r in rows
        if r["type"].startswith(prefix)
        and (subscription_id is None or r["data"].get("id") == subscription_id)
    ]


def event_data(kassa, event_type: str) -> list[dict]:
    with kassa.engine.connect() as conn:
        rows = conn.execute(
            select(outbox_events.c.data)
            .where(outbox_events.c.type == event_type)
            .order_by(outbox_events.c.seq)
        ).all()
    return [r.data for r in rows]
