"""``Item``: a priced item of an item set (standalone or a bundle child), parsed once.

Stored prices repeat across subscriptions of a plan, and a ``Price`` is immutable: parsed ones
are remembered by their text (``repr``: equal text, equal price), so a billing run parses each
distinct price once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kassa.domain.pricing.price import Price
from kassa.domain.pricing.serialization import price_from_dict


@dataclass(frozen=True)
class Item:
    """A product with its parsed price and quantity.

    ``trial_period_days`` and ``discount`` are the price-level settings billing reads beside the
    price itself; ``source`` is the stored mapping the item was parsed from.
    """

    product_id: str
    price: Price
    quantity: Decimal = Decimal(1)
    trial_period_days: int = 0
    discount: Mapping[str, Any] | None = field(default=None, compare=False)
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Item:
        """Parse a stored item ``{"product_id", "price", "quantity"?}``."""
        raw = data["price"]
        return cls(
            product_id=data["product_id"],
            price=_parsed(raw),
            quantity=Decimal(data.get("quantity", 1)),
            trial_period_days=raw.get("trial_period_days") or 0,
            discount=raw.get("discount") or None,
            source=data,
        )


_PARSED: dict[str, Price] = {}
_REMEMBERED = 4096


def _parsed(raw: Mapping[str, Any]) -> Price:
    key = repr(raw)
    price = _PARSED.get(key)
    if price is None:
        if len(_PARSED) >= _REMEMBERED:
            _PARSED.clear()
        price = _PARSED[key] = price_from_dict(raw)
    return price
