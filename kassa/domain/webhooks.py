"""Webhooks as a public contract: event types, the retry schedule and what counts as delivered.

Pure: the delivery machinery (signing, HTTP, the queue) lives in ``kassa.webhooks`` and the
services; this module only states the rules they follow.
"""

from __future__ import annotations

from datetime import timedelta

# The event types an endpoint can subscribe to and that are delivered at all. Outbox events of
# any other type stay internal. Later features add their types here.
DOCUMENTED_EVENT_TYPES = (
    "subscription.activated",
    "subscription.started",
    "subscription.updated",
    "subscription.version.updated",
    "subscription.cancelation_scheduled",
    "subscription.canceled",
    "invoice.issued",
    "invoice.paid",
    "payment.created",
    "payment.updated",
    "refund.updated",
    "line_item.deleted",
    "checkout.session.completed",
    "account.credits.granted",
    "account.credits.balance_depleted",
)
CATALOG_EVENT_TYPES = tuple(
    f"{obj}.{verb}"
    for obj in ("customer", "product", "metric")
    for verb in ("created", "updated", "archived")
)
EVENT_TYPES: frozenset[str] = frozenset(DOCUMENTED_EVENT_TYPES + CATALOG_EVENT_TYPES)

# Sent by POST /webhook-endpoints/{id}/test to that endpoint only; not subscribable.
TEST_EVENT_TYPE = "webhook.test"

# Delay before each automatic attempt: the first is immediate, each later one counts from the
# failure before it (so attempts land at +0, +5 min, +35 min, +2 h 35 min, +10 h 35 min, ...).
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS)

# A delivery succeeds when the endpoint answers 2xx within this many seconds.
DELIVERY_TIMEOUT_SECONDS = 15
# How much of an endpoint's response an attempt keeps.
RESPONSE_EXCERPT_BYTES = 1024


def next_attempt_delay(attempts_made: int) -> timedelta | None:
    """Delay before the next automatic attempt after ``attempts_made`` failed ones, or None when
    the schedule is exhausted (the message is then ``failed``)."""
    if attempts_made < 0:
        raise ValueError("attempts_made must not be negative")
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[attempts_made]


def is_delivered(
    status_code: int | None,
    duration_seconds: float,
    limit_seconds: float = DELIVERY_TIMEOUT_SECONDS,
) -> bool:
    """Success is a 2xx answer within the delivery timeout."""
    if status_code is None or not 200 <= status_code < 300:
        return False
    return duration_seconds <= limit_seconds


def unknown_event_types(event_types: list[str]) -> list[int]:
    """Positions in ``event_types`` of names that are not subscribable event types."""
    return [i for i, name in enumerate(event_types) if name not in EVENT_TYPES]
