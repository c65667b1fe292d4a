"""``GET /webhook-events``: the public events in the outbox, to fetch what an endpoint missed;
``GET /webhook-event-types``: the registry of those types."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kassa.domain.dates import OUT_OF_RANGE, as_utc_in_range
from kassa.domain.webhooks import EVENT_PAYLOADS, EVENT_TYPES, RESERVED_EVENT_TYPES
from kassa.resources import renderer
from kassa.resources.webhooks import WebhookEvent
from kassa.services.common import list_objects
from kassa.services.context import Ctx
from kassa.store.queries import ListQuery, Page, in_filter
from kassa.store.tables import outbox_events

SORTABLE = {
    "created_at": outbox_events.c.occurred_at,
    "timestamp": outbox_events.c.occurred_at,
}


def _event_type(value: str) -> str:
    if value not in EVENT_TYPES:
        raise ValueError(f"{value!r} is not a webhook event type")
    return value


def _since(values: Sequence[str]) -> Any:
    if len(values) != 1:
        raise ValueError("give one RFC 3339 instant, such as 2026-07-01T00:00:00Z")
    try:
        at = datetime.fromisoformat(values[0].replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an RFC 3339 instant, such as 2026-07-01T00:00:00Z") from None
    if at.tzinfo is None:
        raise ValueError("must carry a time zone, such as 2026-07-01T00:00:00Z")
    utc = as_utc_in_range(at)
    if utc is None:
        raise ValueError(OUT_OF_RANGE)
    return outbox_events.c.occurred_at >= utc


FILTERS = {
    "id": in_filter(outbox_events.c.id),
    "type": in_filter(outbox_events.c.type, _event_type),
    "since": _since,
}


def list_events(ctx: Ctx, query: ListQuery) -> Page:
    """Filters: ``type`` (any of), ``since`` (occurred at or after), ``id``."""
    return list_objects(
        ctx, outbox_events, query, view=renderer(WebhookEvent), sortable=SORTABLE,
        filters=FILTERS, where=[outbox_events.c.type.in_(sorted(EVENT_TYPES))],
    )


def event_types() -> list[dict[str, Any]]:
    """The registry: each subscribable type, what its ``data`` carries, and whether Kassa emits it."""
    return [{"type": name, "data": EVENT_PAYLOADS[name], "emitted": name not in RESERVED_EVENT_TYPES}
            for name in sorted(EVENT_TYPES)]
