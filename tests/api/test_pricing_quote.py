"""POST /pricing/quote: prices checked and charged through HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

TIERS = [
    {"min_units": 0, "max_units": 10000, "price_per_unit": "0.00", "fixed_fee": None},
    {"min_units": 10001, "max_units": 100000, "price_per_unit": "0.03", "fixed_fee": None},
    {"min_units": 100001, "max_units": None, "price_per_unit": "0.02", "fixed_fee": None},
]


def metered(price_type: str, model: dict, metric_ids=("mtr_api",)) -> dict:
    return {
        "type": price_type,
        "billing_interval": "monthly",
        "fee_type": "metered",
        "billing_direction": "arrears",
        "metric_ids": list(metric_ids),
        f"{price_type}_pricing_model": model,
    }


def _quote(api: TestClient, price: dict, **extra) -> dict:
    r = api.post("/pricing/quote", json={"price": price, "currency": "USD", **extra})
    assert r.status_code == 200, r.text
    return r.json()


def _errors(r) -> list[tuple[str, str]]:
    return [(e["field"], e["message"]) for e in r.json()["errors"]]


def test_graduated_and_volume_tiers(api: TestClient) -> None:
    q = _quote(api, metered("graduated_tiered", {"tiers": TIERS}), usage={"mtr_api": "150000"})
    assert q["amount"] == "3700.00"
    assert [(l["units"], l["rate"], l["amount"]) for l in q["lines"]] == [
        ("10000", "0.00", "0.00"),
        ("90000", "0.03", "2700.00"),
        ("50000", "0.02", "1000.00"),
    ]
    q = _quote(api, metered("tiered", {"tiers": TIERS}), usage={"mtr_api": "150000"})
    assert q["amount"] == "3000.00"


def test_fixed_unit_percentage_and_expression(api: TestClient) -> None:
    fixed = {
        "type": "fixed",
        "fee_type": "fixed",
        "billing_direction": "arrears",
        "billing_frequency": "recurring",
        "fixed_pricing_model": {"price_per_unit": "500.00", "units": 2},
    }
    assert _quote(api, fixed)["amount"] == "1000.00"
    seats = {
        "type": "unit",
        "fee_type": "fixed",
        "billing_frequency": "recurring",
        "unit_pricing_model": {"price_per_unit": "20.00"},
    }
    assert _quote(api, seats, quantity=7)["amount"] == "140.00"
    card = metered(
        "volume_percentage",
        {"percentage": "2.9", "price_per_unit": "0.30", "fixed_fee": None},
        metric_ids=("mtr_volume", "mtr_count"),
    )
    q = _quote(api, card, usage={"mtr_volume": "10000.00", "mtr_count": "100"})
    assert q["amount"] == "320.00"  # 290.00 + 100 x 0.30
    expression = metered(
        "expression",
        {
            "charges": [
                {
                    "billing_direction": "arrears",
                    "description": "compute",
                    "quantity_expression": "ceil(usage.mtr_api / 1000)",
                    "unit_price_expression": "max(0.5, 2 - usage.mtr_api / 100000)",
                }
            ]
        },
    )
    q = _quote(api, expression, usage={"mtr_api": "150500"})
    assert q["amount"] == "75.50"  # ceil(150.5) = 151 units x 0.5


def test_prepaid_overage(api: TestClient) -> None:
    price = metered("prepaid_tiered", {"prepaid_units": 10000, "tiers": TIERS})
    price["billing_direction"] = "advance"
    q = _quote(api, price, usage={"mtr_api": "20000"})
    # The block (0 for the free tier) plus 10000 overage units at 0.03.
    assert q["amount"] == "300.00"


def test_each_phase_is_rounded_as_its_invoice_line(api: TestClient) -> None:
    """A prepaid block (advance) and its overage (arrears) are two invoice lines, each rounded:
    0.005 + 0.005 bills 0.01 + 0.01, so the quote says 0.02, not round(0.010) = 0.01."""
    price = metered("prepaid_tiered", {"prepaid_units": 1, "tiers": [
        {"min_units": 0, "max_units": None, "price_per_unit": "0.005", "fixed_fee": None}]})
    price["billing_direction"] = "advance"
    assert _quote(api, price, usage={"mtr_api": "2"})["amount"] == "0.02"


def test_currency_rounding(api: TestClient) -> None:
    price = {
        "type": "unit",
        "fee_type": "fixed",
        "billing_frequency": "recurring",
        "unit_pricing_model": {"price_per_unit": "10.5"},
    }
    r = api.post("/pricing/quote", json={"price": price, "currency": "JPY", "quantity": 3})
    assert r.json()["amount"] == "32"
    price["unit_pricing_model"]["price_per_unit"] = "0.0015"
    r = api.post("/pricing/quote", json={"price": price, "currency": "KWD", "quantity": 3})
    assert r.json()["amount"] == "0.005"


def test_quote_validation_names_the_field(api: TestClient) -> None:
    bad_tiers = [dict(t) for t in TIERS]
    bad_tiers[1]["min_units"] = 10002
    cases = [
        (
            metered("graduated_tiered", {"tiers": bad_tiers}),
            [
                (
                    "price.graduated_tiered_pricing_model.tiers[1].min_units",
                    "must be 10001, one more than the previous max_units",
                )
            ],
        ),
        (
            {**metered("unit", {"price_per_unit": 0.05})},
            [
                (
                    "price.unit_pricing_model.price_per_unit",
                    'Money must be a decimal string such as "500.00", not a JSON float',
                )
            ],
        ),
        (
            {"type": "fixed", "fee_type": "fixed", "fixed_pricing_model": {"price_per_unit": "5"}},
            [("price.billing_frequency", "required for fixed-fee prices: recurring or one-off")],
        ),
        (
            {"type": "unit", "fee_type": "metered", "unit_pricing_model": {"price_per_unit": "1"}},
            [("price.metric_ids", None)],
        ),
        (
            metered("volume_percentage", {"percentage": "120"}),
            [
                (
                    "price.volume_percentage_pricing_model.percentage",
                    "must be a percentage between 0 and 100",
                )
            ],
        ),
        (
            {**metered("unit", {"price_per_unit": "1"}), "tiered_pricing_model": {"tiers": TIERS}},
            [
                (
                    "price.tiered_pricing_model",
                    "does not belong to a unit price: give only unit_pricing_model",
                )
            ],
        ),
        (
            metered("graduated_tiered", {"tiers": TIERS, "colour": "red"}),
            [("price.graduated_tiered_pricing_model.colour", "Extra inputs are not permitted")],
        ),
        (
            metered(
                "expression",
                {"charges": [{"quantity_expression": "__import__('os')", "unit_price_expression": "1"}]},
            ),
            None,
        ),
    ]
    for price, expected in cases:
        r = api.post("/pricing/quote", json={"price": price, "currency": "USD"})
        assert r.status_code == 422, price
        got = _errors(r)
        if expected is None:
            assert got[0][0] == "price.expression_pricing_model.charges[0].quantity_expression"
            assert "__import__" in got[0][1]
        elif expected[0][1] is None:
            assert [f for f, _ in got] == [expected[0][0]]
        else:
            assert got == expected, got
    r = api.post("/pricing/quote", json={"price": metered("unit", {"price_per_unit": "1"}), "currency": "ABC"})
    assert _errors(r) == [("currency", "'ABC' is not an ISO 4217 currency code")]
    r = api.post("/pricing/quote", json={"price": metered("unit", {"price_per_unit": "1"}), "currency": "USD", "usage": {"mtr_api": "lots"}})
    assert r.status_code == 422 and _errors(r)[0][0] == "usage.mtr_api"
