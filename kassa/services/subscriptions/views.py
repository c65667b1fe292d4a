"""How subscriptions and versions look in responses and event payloads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from kassa.domain.contracts import cycle_interval, utc_date
from kassa.domain.periods import period_containing
from kassa.domain.subscription import (
    Subscription,
    Version,
    by_id,
    current_version,
    pending_versions,
)
from kassa.services.serialize import iso_date, rfc3339


def version_view(version: Version) -> dict[str, Any]:
    return {
        "id": version.id,
        "subscription_id": version.subscription_id,
        "number": version.number,
        "status": version.status,
        "effective": version.effective,
        "effective_at": rfc3339(version.effective_at),
        "description": version.description,
        "plan_id": version.plan_id,
        "proration": version.proration,
        "source_version_id": version.source_version_id,
        "items": list(version.items),
        "published_at": rfc3339(version.published_at),
        "created_at": rfc3339(version.created_at),
        "updated_at": rfc3339(version.updated_at),
    }


def current_period(sub: Subscription, items: Sequence[Mapping], now: datetime) -> dict | None:
    """The billing cycle in progress (None before the contract starts or after it ends)."""
    anchor, start = sub.billing_anchor, sub.contract.get("start_date")
    if anchor is None or sub.status not in ("active", "paused"):
        return None
    today = utc_date(now)
    if start and today < datetime.fromisoformat(start).date():
        return None
    if today < anchor:
        return {"start": start, "end": iso_date(anchor)}
    period = period_containing(anchor, cycle_interval(items), today)
    return {"start": iso_date(period.start), "end": iso_date(period.end)}


def subscription_view(sub: Subscription, versions: Sequence[Version],
                      now: datetime) -> dict[str, Any]:
    """The subscription as the API and its events show it."""
    current = by_id(versions, sub.current_version_id) or current_version(versions, now)
    pending = pending_versions(versions, current, now) if sub.status != "draft" else []
    items = current.items if current else ()
    return {
        "id": sub.id,
        "customer_id": sub.customer_id,
        "plan_id": sub.plan_id,
        "name": sub.name,
        "currency": sub.currency,
        "status": sub.status,
        "current_version_id": sub.current_version_id,
        "pending_changes": [
            {
                "version_id": v.id,
                "effective_at": rfc3339(v.effective_at),
                "description": v.description,
            }
            for v in pending
        ],
        "contract": dict(sub.contract),
        "renewal": dict(sub.renewal),
        "billing": dict(sub.billing),
        "current_term": None
        if sub.term_start is None
        else {"start": iso_date(sub.term_start), "end": iso_date(sub.term_end)},
        "current_period": current_period(sub, items, now),
        "discount": sub.discount,
        "minimum_spend": sub.minimum_spend,
        "maximum_spend": sub.maximum_spend,
        "price_escalation": sub.price_escalation,
        "cancellation": sub.cancellation,
        "pause": sub.pause,
        "metadata": dict(sub.metadata),
        "activated_at": rfc3339(sub.activated_at),
        "canceled_at": rfc3339(sub.canceled_at),
        "created_at": rfc3339(sub.created_at),
        "updated_at": rfc3339(sub.updated_at),
    }
