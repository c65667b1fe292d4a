"""From stored subscription rows to the billing engine's ``Terms``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from kassa.domain.billing.boundary import Terms, next_boundary
from kassa.domain.billing.timeline import Segment, VersionTimeline
from kassa.domain.contracts import cycle_interval, midnight

Row = Mapping[str, Any]


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def timeline_of(sub: Row, versions: Sequence[Row]) -> VersionTimeline:
    """Published versions laid end to end by effective time (the later one wins a tie)."""
    published = sorted(
        (v for v in versions if v["status"] == "published"),
        key=lambda v: (v["effective_at"], v["number"]),
    )
    segments = []
    for index, version in enumerate(published):
        end = published[index + 1]["effective_at"] if index + 1 < len(published) else None
        if end is not None and end <= version["effective_at"]:
            continue
        segments.append(Segment(version["effective_at"], end, version["items"]))
    pauses = [(_instant(p["start"]), _instant(p.get("end"))) for p in sub["pauses"]]
    return VersionTimeline(
        contract_start=date.fromisoformat(sub["contract"]["start_date"]),
        anchor=sub["billing_anchor"],
        segments=segments,
        pauses=pauses,  # type: ignore[arg-type]
        ends_at=sub["canceled_at"],
    )


def terms_of(sub: Row, versions: Sequence[Row], metric_names: Mapping[str, str]) -> Terms:
    return Terms(
        currency=sub["currency"],
        timeline=timeline_of(sub, versions),
        price_escalation=sub["price_escalation"],
        credit_unused_time=bool((sub["cancellation"] or {}).get("credit_unused_time")),
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
