"""Metric aggregation in SQL: every method, every filter operator, exact, on both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event

from kassa.domain.usage import UsageWindow
from kassa.services.usage.aggregation import aggregate_windows, get_usage
from tests.usage_helpers import at, customer, freeze, metric, send, value

JULY = ("2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z")


def _e(uid: str, ts: str, account: str = "c1-alias", name: str = "api", **props) -> dict:
    return {"unique_id": uid, "account": account, "event_name": name, "timestamp": ts,
            "properties": props}


@pytest.fixture
def seeded(kassa, api):
    """Two customers; five events of C1 in July (edges included), others around them."""
    freeze(kassa)
    c1 = customer(api, "One", ["c1-alias"])
    c2 = customer(api, "Two")
    result = send(kassa, [
        _e("e1", "2026-07-01T00:00:00Z", region="eu", amount=Decimal("0.1"), user="u1", tier=3,
           premium=True, path="/v1/users"),
        _e("e2", "2026-07-10T00:00:00Z", region="eu", amount="0.2", user="u2", tier="3",
           premium=False, path="/v2/users"),
        _e("e3", "2026-07-15T00:00:00Z", region="us", amount=10, user="u1", tier=1,
           path="/v1/orders"),
        _e("e4", "2026-07-20T00:00:00Z", region="eu", amount="abc", user=5, tier=Decimal("2.5")),
        _e("e5", "2026-07-31T23:59:59.999999Z", region="apac", amount=Decimal("-2.25"), user="5",
           tier=Decimal("2.50")),
        _e("e6", "2026-08-01T00:00:00Z", region="eu", amount=1000),
        _e("e7", "2026-06-30T23:59:59.999999Z", amount=1000),
        _e("e8", "2026-07-05T00:00:00Z", account=c2, region="eu", amount=7),
        _e("e9", "2026-07-05T00:00:00Z", name="other", amount=500),
    ])
    assert result["failed"] == [] and len(result["ingested"]) == 9
    return c1, c2


@pytest.mark.parametrize(
    ("method", "field", "expected"),
    [
        ("count", None, Decimal(5)),
        ("count_unique", "user", Decimal(4)),  # "u1", "u2", 5 and "5": a string is not a number
        ("count_unique", "tier", Decimal(4)),  # 3, "3", 1, and 2.5 = 2.50
        ("sum", "amount", Decimal("8.05")),  # 0.1 + "0.2" + 10 - 2.25; "abc" is not a number
        ("min", "amount", Decimal("-2.25")),
        ("max", "amount", Decimal("10")),
        ("average", "amount", Decimal("2.0125")),  # 8.05 / 4 numeric values
        ("latest", "amount", Decimal("-2.25")),  # e5, at the last microsecond of July
        ("latest", "region", None),  # no numeric region on any event
        ("min", "missing", None),
        ("sum", "missing", Decimal(0)),
        ("count_unique", "missing", Decimal(0)),
    ],
)
def test_every_method(kassa, api, seeded, method, field, expected) -> None:
    c1, _ = seeded
    got = value(kassa, metric(api, method, field), c1, *JULY)
    assert got == expected
    if expected is not None:
        assert str(got) == str(expected)  # same digits, not just the same value


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"field": "region", "operator": "equal", "value": "eu"}], 3),
        ([{"field": "region", "operator": "not_equal", "value": "eu"}], 2),
        ([{"field": "premium", "operator": "not_equal", "value": True}], 4),  # missing matches
        ([{"field": "path", "operator": "contains", "value": "users"}], 2),
        ([{"field": "path", "operator": "not_contains", "value": "v1"}], 3),  # e2, e4, e5
        ([{"field": "tier", "operator": "gt", "value": 2}], 4),  # 3, "3", 2.5, 2.50
        ([{"field": "tier", "operator": "gte", "value": "3"}], 2),
        ([{"field": "tier", "operator": "lt", "value": "2.5"}], 1),
        ([{"field": "tier", "operator": "lte", "value": 2.5}], 3),
        ([{"field": "region", "operator": "in", "value": ["eu", "apac"]}], 4),
        ([{"field": "tier", "operator": "equal", "value": 3}], 2),  # 3 and the decimal string "3"
        ([{"field": "tier", "operator": "equal", "value": "3"}], 1),  # the string only
        ([{"field": "tier", "operator": "equal", "value": 2.5}], 2),  # 2.5 and 2.50
        ([{"field": "premium", "operator": "equal", "value": True}], 1),
        ([{"field": "premium", "operator": "equal", "value": False}], 1),
        ([{"field": "user", "operator": "in", "value": ["u2", 5]}], 3),  # u2, 5, "5"
        ([{"field": "amount", "operator": "gt", "value": "-100"}], 4),  # "abc" compares not
        ([{"field": "nope", "operator": "lt", "value": "0"}], 0),
    ],
)
def test_every_filter_operator(kassa, api, seeded, filters, expected) -> None:
    c1, _ = seeded
    m = metric(api, "count", groups=[{"operator": "and", "filters": filters}])
    assert value(kassa, m, c1, *JULY) == Decimal(expected)


def test_groups_and_their_operators(kassa, api, seeded) -> None:
    c1, _ = seeded
    eu = {"field": "region", "operator": "equal", "value": "eu"}
    us = {"field": "region", "operator": "equal", "value": "us"}
    tier3 = {"field": "tier", "operator": "gte", "value": "3"}
    premium = {"field": "premium", "operator": "equal", "value": True}
    cases = [
        ([{"operator": "and", "filters": [eu, tier3]}], 2),  # e1, e2
        ([{"operator": "or", "filters": [us, premium]}], 2),  # e3, e1
        ([{"operator": "or", "filters": [eu, us]},
          {"operator": "and", "filters": [{"field": "tier", "operator": "gt", "value": 1}]}], 3),
    ]
    for groups, expected in cases:
        assert value(kassa, metric(api, "count", groups=groups), c1, *JULY) == Decimal(expected)
    eu_sum = metric(api, "sum", "amount", groups=[{"operator": "and", "filters": [eu]}])
    assert value(kassa, eu_sum, c1, *JULY) == Decimal("0.3")  # 0.1 + 0.2, exactly


def test_windows_are_half_open_and_set_based(kassa, api, seeded) -> None:
    c1, c2 = seeded
    count = metric(api, "count")
    windows = [
        UsageWindow(c1, at(JULY[0]), at(JULY[1])),
        UsageWindow(c1, at("2026-08-01T00:00:00Z"), at("2026-09-01T00:00:00Z")),
        UsageWindow(c1, at("2026-06-01T00:00:00Z"), at("2026-07-01T00:00:00Z")),
        UsageWindow(c1, at("2026-07-01T00:00:00Z"), at("2026-07-01T00:00:00Z")),  # empty range
        UsageWindow(c2, at(JULY[0]), at(JULY[1])),
        UsageWindow("nobody", at(JULY[0]), at(JULY[1])),
    ]
    statements: list[str] = []
    with kassa.engine.connect() as conn:
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(conn, "before_cursor_execute", listener)
        got = aggregate_windows(conn, "sandbox", count, windows)
        event.remove(conn, "before_cursor_execute", listener)
    assert [got[w] for w in windows] == [5, 1, 1, 0, 1, 0]
    assert len([s for s in statements if "usage_events" in s]) == 1  # one query, all windows
    sums = aggregate_windows_for(kassa, metric(api, "sum", "amount"), windows)
    assert sums == [Decimal("8.05"), Decimal(1000), Decimal(1000), 0, Decimal(7), 0]


def aggregate_windows_for(kassa, m, windows) -> list:
    with kassa.engine.connect() as conn:
        got = aggregate_windows(conn, "sandbox", m, windows)
    return [got[w] for w in windows]


def test_decimals_are_exact(kassa, api) -> None:
    freeze(kassa)
    c = customer(api, "Exact")
    tenths = [_e(f"t{i}", "2026-07-02T00:00:00Z", account=c, amount=Decimal("0.1"))
              for i in range(10)]
    big = [
        _e("b1", "2026-07-03T00:00:00Z", account=c, amount=Decimal("0.10000000000000000001")),
        _e("b2", "2026-07-03T00:00:00Z", account=c, amount=12345678901234567890123),
        _e("b3", "2026-07-03T00:00:00Z", account=c, amount="-0.00000000000000000001"),
    ]
    assert len(send(kassa, tenths + big)["ingested"]) == 13
    total = value(kassa, metric(api, "sum", "amount"), c, *JULY)
    assert total == Decimal("12345678901234567890124.1")
    tenth_sum = value(kassa, metric(api, "sum", "amount", groups=[{"operator": "and", "filters": [
        {"field": "amount", "operator": "lte", "value": "0.1"}]}]), c, *JULY)
    # ten 0.1 and the negative one; 0.10000000000000000001 is above the limit, exactly
    assert tenth_sum == Decimal("0.99999999999999999999")
    assert value(kassa, metric(api, "max", "amount"), c, *JULY) == Decimal(12345678901234567890123)
    assert value(kassa, metric(api, "average", "amount"), c, *JULY) == (
        Decimal("949667607787274453086.4692308")  # 12345678901234567890124.1 / 13, 28 digits
    )


def test_latest_breaks_timestamp_ties_by_arrival(kassa, api) -> None:
    freeze(kassa)
    c = customer(api, "Gauge")
    send(kassa, [_e("g1", "2026-07-09T00:00:00Z", account=c, seats=4),
                 _e("g2", "2026-07-10T00:00:00Z", account=c, seats=7)])
    send(kassa, [_e("g3", "2026-07-10T00:00:00Z", account=c, seats=9),
                 _e("g4", "2026-07-11T00:00:00Z", account=c, seats="n/a")])
    assert value(kassa, metric(api, "latest", "seats"), c, *JULY) == Decimal(9)


def test_get_usage_resolves_aliases_and_checks_the_range(kassa, api, seeded) -> None:
    from kassa.domain.errors import InvalidRequest, NotFound

    c1, _ = seeded
    count = metric(api, "count")
    ctx = kassa.ctx("sandbox")
    assert get_usage(ctx, count["id"], "c1-alias", at(JULY[0]), at(JULY[1])) == Decimal(5)
    with pytest.raises(InvalidRequest):
        get_usage(ctx, count["id"], c1, at(JULY[1]), at(JULY[0]))
    with pytest.raises(NotFound):
        get_usage(ctx, count["id"], "ghost", at(JULY[0]), at(JULY[1]))
