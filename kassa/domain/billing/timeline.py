"""A subscription's item sets over time and the days on which each item is billable."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, timedelta
from typing import Any

from kassa.domain.contracts import utc_date as day
from kassa.domain.items import priced_items

ItemKey = tuple[str | None, str]  # (bundle_id, product_id)
DateRange = tuple[date, date]  # half-open


@dataclass(frozen=True)
class Segment:
    """One version's items in force from ``start`` until ``end`` (None: still in force)."""

    start: datetime
    end: datetime | None
    items: Sequence[Mapping[str, Any]]

    @cached_property
    def priced(self) -> dict[ItemKey, Mapping[str, Any]]:
        """The segment's priced items by (bundle id, product id), built once (read only)."""
        return {(b, c["product_id"]): c for b, c in priced_items(self.items)}


@dataclass(frozen=True)
class VersionTimeline:
    """A subscription's versions laid end to end, its pauses and its end: all billing needs of
    its past, in dates (UTC days).

    An instant inside a day counts from that day on: a change at 09:30 on the 16th applies to
    the 16th, as in the documented proration example.
    """

    contract_start: date
    anchor: date
    segments: Sequence[Segment]
    pauses: Sequence[tuple[datetime, datetime | None]] = ()
    ends_at: datetime | None = None

    def last_day(self) -> date | None:
        """The exclusive end of service (None while the subscription goes on)."""
        return None if self.ends_at is None else day(self.ends_at)

    def spans(self, key: ItemKey, within: DateRange) -> list[tuple[DateRange, Mapping[str, Any]]]:
        """The date ranges inside ``within`` where ``key`` is on the subscription, with its item."""
        lo, hi = within
        end_of_service = self.last_day()
        if end_of_service is not None:
            hi = min(hi, end_of_service)
        out: list[tuple[DateRange, Mapping[str, Any]]] = []
        for segment in self.segments:
            item = segment.priced.get(key)
            if item is None:
                continue
            s = max(lo, day(segment.start))
            e = hi if segment.end is None else min(hi, day(segment.end))
            if s < e:
                out.append(((s, e), item))
        return out

    def active_days(self, ranges: Sequence[DateRange]) -> list[DateRange]:
        """``ranges`` minus paused days."""
        result = list(ranges)
        for start, end in self.pauses:
            cut = (day(start), day(end) if end is not None else date.max)
            result = [piece for r in result for piece in _minus(r, cut)]
        return result

    def keys(self) -> list[ItemKey]:
        seen: dict[ItemKey, None] = {}
        for segment in self.segments:
            for key in segment.priced:
                seen.setdefault(key, None)
        return list(seen)

    def item_at(self, key: ItemKey, on: date) -> Mapping[str, Any] | None:
        for segment in reversed(self.segments):
            if day(segment.start) <= on and (segment.end is None or on < day(segment.end)):
                return segment.priced.get(key)
        return None

    def paused_on(self, on: date) -> bool:
        return any(
            day(start) <= on and (end is None or on < day(end)) for start, end in self.pauses
        )


def _minus(r: DateRange, cut: DateRange) -> Iterator[DateRange]:
    (a, b), (c, d) = r, cut
    if d <= a or b <= c:
        yield r
        return
    if a < c:
        yield (a, c)
    if d < b:
        yield (d, b)


def trial_cut(item: Mapping[str, Any], contract_start: date) -> DateRange | None:
    days = item["price"].get("trial_period_days") or 0
    return (contract_start, contract_start + timedelta(days=days)) if days else None


def without_trial(ranges: Sequence[DateRange], item: Mapping[str, Any], start: date) -> list[DateRange]:
    cut = trial_cut(item, start)
    if cut is None:
        return list(ranges)
    return [piece for r in ranges for piece in _minus(r, cut)]
