"""Price objects to and from their canonical JSON-like shape (api-notes section 3).

Only the priced part is read: ``type``, ``billing_interval``, ``fee_type``, ``billing_direction``,
``billing_frequency``, ``metric_ids`` and the one ``<type>_pricing_model`` object. Other price
keys (display_order, trial_period_days, discount, ...) belong to the caller and are ignored.

Defaults where the payload is silent: ``billing_interval`` monthly; ``fee_type`` metered when
``metric_ids`` are given, else fixed; ``billing_direction`` arrears for metered prices, else
advance; ``billing_frequency`` recurring.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kassa.domain.errors import InvalidRequest
from kassa.domain.pricing.charges import STRATEGIES
from kassa.domain.pricing.fields import Problem, Reader, first_per_path
from kassa.domain.pricing.model import DIRECTIONS, FEE_TYPES, FREQUENCIES, INTERVALS
from kassa.domain.pricing.price import Price

MODEL_SUFFIX = "_pricing_model"


def _read_price(data: object) -> tuple[Price | None, list[Problem]]:
    if not isinstance(data, Mapping):
        return None, [("", "a price must be an object")]
    problems: list[Problem] = []
    r = Reader(data, "", problems)
    price_type = r.choice("type", tuple(STRATEGIES))
    billing_interval = r.choice("billing_interval", INTERVALS, default="monthly")
    metric_ids = r.strings("metric_ids")
    fee_type = r.choice("fee_type", FEE_TYPES, default="metered" if metric_ids else "fixed")
    direction = r.choice(
        "billing_direction", DIRECTIONS, default="arrears" if fee_type == "metered" else "advance"
    )
    frequency = r.choice("billing_frequency", FREQUENCIES, default="recurring")
    if price_type is None:
        return None, first_per_path(problems)
    strategy = STRATEGIES[price_type]
    model_key = price_type + MODEL_SUFFIX
    for key in data:
        if isinstance(key, str) and key.endswith(MODEL_SUFFIX) and key != model_key:
            r.problem(key, f"does not belong to a {price_type} price: give only {model_key}")
    model_reader = r.child(model_key)
    model = None if model_reader is None else strategy.model.read(model_reader)
    price = Price(price_type, billing_interval, fee_type, direction, frequency, metric_ids, model)
    if not problems:
        problems.extend(strategy.problems(price))
    return (None if problems else price), first_per_path(problems)


def price_problems(data: object) -> list[Problem]:
    """Every problem of a price payload as ``(path, message)``; empty when it is valid.

    Paths are relative to the price object: ``graduated_tiered_pricing_model.tiers[2].max_units``.
    """
    return _read_price(data)[1]


def price_from_dict(data: Mapping[str, Any]) -> Price:
    """The Price for a payload; InvalidRequest (``field`` = first problem's path) otherwise."""
    price, problems = _read_price(data)
    if price is None:
        path, message = problems[0]
        others = len(problems) - 1
        more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
        detail = f"{path}: {message}{more}" if path else f"{message[0].upper()}{message[1:]}{more}."
        raise InvalidRequest(detail, field=path or None)
    return price


def price_to_dict(price: Price) -> dict[str, Any]:
    """The canonical payload: money as decimal strings; ``fixed`` models add ``total``."""
    return {
        "type": price.type,
        "billing_interval": price.billing_interval,
        "fee_type": price.fee_type,
        "billing_direction": price.billing_direction,
        "billing_frequency": price.billing_frequency,
        "metric_ids": list(price.metric_ids),
        price.type + MODEL_SUFFIX: price.model.to_dict(),
    }
