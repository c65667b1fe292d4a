"""Which subscription a customer's usage event is billed to, when it names none.

An event naming a subscription is that subscription's. One naming none goes to the customer's
subscription that prices its metric at the event's instant; when several do, to the
earliest-started (contract start, then activation, then creation), so no event is ever billed
twice and none is lost while a subscription prices it.

``owned_stretches`` answers, for one customer and one metric, the stretches of time each
subscription owns: pure, from the subscriptions and their published versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from kassa.domain.contracts import midnight
from kassa.domain.items import priced_items
from kassa.domain.subscription import Subscription, Version

FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
Stretch = tuple[datetime, datetime]


def prices_metric(version: Version, metric_id: str) -> bool:
    return any(metric_id in (child["price"].get("metric_ids") or ())
               for _, child in priced_items(version.items))


def pricing_stretches(sub: Subscription, versions: Sequence[Version],
                      metric_id: str) -> list[Stretch]:
    """When ``sub`` is in service (activated, from its contract start's midnight until it is
    canceled) with a version in force that prices ``metric_id``."""
    start = sub.contract_start
    if sub.activated_at is None or start is None:
        return []
    served = (midnight(start), sub.canceled_at or FOREVER)
    published = sorted((v for v in versions if v.effective_at is not None), key=Version.order)
    instants = sorted({v.effective_at for v in published})  # type: ignore[misc]
    found: list[Stretch] = []
    for k, at in enumerate(instants):
        until = instants[k + 1] if k + 1 < len(instants) else FOREVER
        in_force = max((v for v in published if v.effective_at <= at), key=Version.order)  # type: ignore[operator]
        if not prices_metric(in_force, metric_id):
            continue
        lo, hi = max(at, served[0]), min(until, served[1])
        if lo < hi:
            if found and found[-1][1] == lo:
                found[-1] = (found[-1][0], hi)
            else:
                found.append((lo, hi))
    return found  # before its first version takes effect a subscription prices nothing


def seniority(sub: Subscription) -> tuple:
    """Earliest-started first: contract start, activation, creation, id."""
    return (sub.contract_start or date.max, sub.activated_at or FOREVER, sub.created_at, sub.id)


def owned_stretches(subs: Sequence[tuple[Subscription, Sequence[Version]]],
                    metric_id: str) -> dict[str, list[Stretch]]:
    """``{subscription id: the stretches in which it owns the metric's unnamed events}`` for
    one customer's subscriptions: at each instant, the most senior one pricing the metric."""
    pricing = {sub.id: pricing_stretches(sub, versions, metric_id) for sub, versions in subs}
    ranked = [sub.id for sub, _ in sorted(subs, key=lambda pair: seniority(pair[0]))]
    cuts = sorted({t for stretches in pricing.values() for s in stretches for t in s})
    owned: dict[str, list[Stretch]] = {sub_id: [] for sub_id in pricing}
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        owner = next((sub_id for sub_id in ranked
                      if any(a <= lo and hi <= b for a, b in pricing[sub_id])), None)
        if owner is None:
            continue
        mine = owned[owner]
        if mine and mine[-1][1] == lo:
            mine[-1] = (mine[-1][0], hi)
        else:
            mine.append((lo, hi))
    return owned
