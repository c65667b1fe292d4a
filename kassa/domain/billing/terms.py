"""From a typed subscription and its versions to the billing engine's ``Terms``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from kassa.domain.billing.boundary import Terms, next_boundary
from kassa.domain.billing.timeline import Segment, VersionTimeline
from kassa.domain.contracts import cycle_interval, midnight
from kassa.domain.subscription import Subscription, Version, published


def timeline_of(sub: Subscription, versions: Sequence[Version]) -> VersionTimeline:
    """Published versions laid end to end by effective time (the later one wins a tie)."""
    laid = sorted(published(versions), key=Version.order)
    segments = []
    for index, version in enumerate(laid):
        end = laid[index + 1].effective_at if index + 1 < len(laid) else None
        if end is not None and end <= version.effective_at:  # type: ignore[operator]
            continue
        segments.append(Segment(version.effective_at, end, version.items))  # type: ignore[arg-type]
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
