"""Shared test settings and builders for the domain unit tests."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, settings

# Property tests: enough examples to find edge cases, few enough to keep the suite fast.
# No example database: tests must not write files into the working tree.
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# The api-notes example: 0-10000 free, 10001-100000 at 0.03, 100001+ at 0.02.
API_TIERS = [
    {"min_units": 0, "max_units": 10000, "price_per_unit": "0.00", "fixed_fee": None},
    {"min_units": 10001, "max_units": 100000, "price_per_unit": "0.03", "fixed_fee": None},
    {"min_units": 100001, "max_units": None, "price_per_unit": "0.02", "fixed_fee": None},
]


def D(value: str | int) -> Decimal:  # reads like a literal: D("0.05")
    return Decimal(value)


def metered(
    price_type: str, model: dict, *, metrics: tuple[str, ...] = ("mtr_api",), **extra
) -> dict:
    """A metered price payload of ``price_type`` with ``model`` as its pricing model."""
    return {
        "type": price_type,
        "billing_interval": "monthly",
        "fee_type": "metered",
        "billing_direction": "arrears",
        "metric_ids": list(metrics),
        f"{price_type}_pricing_model": model,
        **extra,
    }


def fixed_fee(price_type: str, model: dict, *, direction: str = "advance", **extra) -> dict:
    """A fixed-fee (seat/quantity) price payload."""
    return {
        "type": price_type,
        "billing_interval": "monthly",
        "fee_type": "fixed",
        "billing_direction": direction,
        "billing_frequency": "recurring",
        "metric_ids": [],
        f"{price_type}_pricing_model": model,
        **extra,
    }
