"""From a typed subscription and its versions to the billing engine's ``Terms``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from kassa.domain.billing.boundary import Terms, next_boundary
from kassa.domain.billing.timeline import Segment, VersionTimeline
from kassa.domain.contracts import cycle_interval, midnight
from kassa.domain.fx import Conversion, localized, needs_conversion
from kassa.domain.subscription import Subscription, Version, published

Items = Sequence[Mapping[str, Any]]
# The conversion of a pair on a day: (source, target, day) -> Conversion (FxRateMissing: none).
RateOn = Callable[[str, str, date], Conversion]


def timeline_of(sub: Subscription, versions: Sequence[Version],
                localize: Callable[[Items], Items] | None = None) -> VersionTimeline:
    """Published versions laid end to end by effective time (the later one wins a tie); each
    version's items through ``localize`` when given (prices in the subscription's currency)."""
    laid = sorted(published(versions), key=Version.order)
    segments = []
    for index, version in enumerate(laid):
        end = laid[index + 1].effective_at if index + 1 < len(laid) else None
        if end is not None and end <= version.effective_at:  # type: ignore[operator]
            continue
        items = version.items if localize is None else localize(version.items)
        segments.append(Segment(version.effective_at, end, items))  # type: ignore[arg-type]
    return VersionTimeline(
        contract_start=sub.contract_start,  # type: ignore[arg-type]
        anchor=sub.billing_anchor,  # type: ignore[arg-type]
        segments=segments,
        pauses=sub.pause_spans,
        ends_at=sub.canceled_at,
    )


def terms_of(sub: Subscription, versions: Sequence[Version],
             metric_names: Mapping[str, str]) -> Terms:
    return Terms(
        currency=sub.currency,
        timeline=timeline_of(sub, versions),
        price_escalation=sub.price_escalation,
        credit_unused_time=sub.credits_unused_time,
        metric_names=metric_names,
    )


def terms_on(sub: Subscription, versions: Sequence[Version], metric_names: Mapping[str, str],
             on: date, rate_on: RateOn | None) -> Terms:
    """``terms_of`` for an invoice dated ``on``: a subscription whose prices are in another
    currency bills each from its option in its currency, or converted at the rate of ``on``
    (locked: the ``fx`` of the invoice). Prices in its own currency: ``terms_of``."""
    if not sub.converts:
        return terms_of(sub, versions, metric_names)
    source, target = sub.prices_in, sub.currency
    conversion = None
    if any(needs_conversion(v.items, target) for v in published(versions)):
        if rate_on is None:
            raise ValueError("a subscription converting its prices needs rate_on")
        conversion = rate_on(source, target, on)

    def localize(items: Items) -> Items:
        return localized(items, target, conversion)

    return Terms(
        currency=target,
        timeline=timeline_of(sub, versions, localize),
        price_escalation=sub.price_escalation,
        credit_unused_time=sub.credits_unused_time,
        metric_names=metric_names,
        fx=None if conversion is None else conversion.to_dict(),
    )


def cycle_months(terms: Terms) -> int:
    items = [item for seg in terms.timeline.segments for item in seg.items]
    return cycle_interval(items).months


def following_boundary(terms: Terms, at: datetime) -> datetime | None:
    """The billing instant after ``at``: the next cycle start, or the end if it comes first."""
    tl = terms.timeline
    if tl.ends_at is not None and at >= tl.ends_at:
        return None
    nxt = midnight(next_boundary(tl, cycle_months(terms), at.date()))
    if tl.ends_at is not None and tl.ends_at < nxt:
        return tl.ends_at
    return nxt
