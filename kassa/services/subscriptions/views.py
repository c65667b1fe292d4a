"""How subscriptions and versions look in responses and event payloads: their response models
(``kassa.resources.subscriptions``) render the typed objects, with the fields that are computed
(pending changes, the current term and period) passed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
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
from kassa.resources import render, render_object
from kassa.resources import subscriptions as shown


def version_view(version: Version) -> dict[str, Any]:
    return render_object(shown.Version, version)


def _range(start: date | None, end: date | None) -> dict[str, Any]:
    return render(shown.DateRange, {"start": start, "end": end})


def current_period(sub: Subscription, items: Sequence[Mapping], now: datetime) -> dict | None:
    """The billing cycle in progress (None before the contract starts or after it ends)."""
    anchor, start = sub.billing_anchor, sub.contract_start
    if anchor is None or sub.status not in ("active", "paused"):
        return None
    today = utc_date(now)
    if start and today < start:
        return None
    if today < anchor:
        return _range(start, anchor)
    period = period_containing(anchor, cycle_interval(items), today)
    return _range(period.start, period.end)


def subscription_view(sub: Subscription, versions: Sequence[Version],
                      now: datetime) -> dict[str, Any]:
    """The subscription as the API and its events show it."""
    current = by_id(versions, sub.current_version_id) or current_version(versions, now)
    pending = pending_versions(versions, current, now) if sub.status != "draft" else []
    return render_object(
        shown.Subscription,
        sub,
        pending_changes=[render_object(shown.PendingChange, v) for v in pending],
        current_term=None if sub.term_start is None else _range(sub.term_start, sub.term_end),
        current_period=current_period(sub, current.items if current else (), now),
    )
