"""Who owns a customer's unnamed usage events (kassa.domain.usage_owners), property-tested: at
every instant at most one subscription owns them, it is the most senior one pricing the metric
then, and an instant that some subscription prices is never left without an owner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from kassa.domain.usage_owners import owned_stretches, pricing_stretches, seniority

BASE = datetime(2026, 1, 1, tzinfo=UTC)
METRIC = "mtr_calls"


def _version(number: int, day: int, priced: bool) -> SimpleNamespace:
    price = {"metric_ids": [METRIC] if priced else ["mtr_other"]}
    return SimpleNamespace(number=number, effective_at=BASE + timedelta(days=day),
                           items=[{"product_id": "p", "price": price}])


subscription = st.tuples(
    st.integers(0, 40),  # contract start (days after BASE)
    st.one_of(st.none(), st.integers(1, 60)),  # canceled after so many days
    st.lists(st.tuples(st.integers(0, 60), st.booleans()), min_size=1, max_size=4),
)


def _subs(raw: list) -> list[tuple[SimpleNamespace, list[SimpleNamespace]]]:
    out = []
    for k, (start, canceled, versions) in enumerate(raw):
        begins = date(2026, 1, 1) + timedelta(days=start)
        sub = SimpleNamespace(
            id=f"s{k}", contract_start=begins, activated_at=BASE, created_at=BASE + timedelta(k),
            canceled_at=None if canceled is None else BASE + timedelta(days=start + canceled))
        out.append((sub, [_version(n, day, priced) for n, (day, priced) in enumerate(versions)]))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(subscription, min_size=1, max_size=4), st.integers(0, 120 * 24))
def test_the_most_senior_pricing_subscription_owns_each_instant(raw, hour) -> None:
    subs = _subs(raw)
    at = BASE + timedelta(hours=hour)
    owned = owned_stretches(subs, METRIC)
    owners = [sub_id for sub_id, stretches in owned.items()
              if any(lo <= at < hi for lo, hi in stretches)]
    pricing = [sub for sub, versions in subs
               if any(lo <= at < hi for lo, hi in pricing_stretches(sub, versions, METRIC))]
    if not pricing:
        assert owners == []
    else:
        assert owners == [min(pricing, key=seniority).id]


def test_a_subscription_that_prices_the_metric_from_its_second_version() -> None:
    sub = SimpleNamespace(id="s", contract_start=date(2026, 1, 1), activated_at=BASE,
                          created_at=BASE, canceled_at=BASE + timedelta(days=30))
    versions = [_version(1, 0, False), _version(2, 10, True)]
    assert pricing_stretches(sub, versions, METRIC) == [
        (BASE + timedelta(days=10), BASE + timedelta(days=30))]
