"""Prices: the model of the 10 documented types, reading/writing them, and charging a period.

    price.py          Price: the parsed price, asking its type's strategy every billing question
    item.py           Item: a priced item (product, Price, quantity), parsed once
    model.py          one model dataclass per type
    tiers.py          Tier, tier rules (``tier_problems``) and band arithmetic
    fields.py         reading payloads with (path, message) problems
    serialization.py  price_from_dict / price_to_dict / price_problems
    charges.py        Phase, PeriodInputs, Charge, PriceStrategy and its registry, charge / quote
    strategies.py     one registered strategy class per price type

Adding a price type is adding a model dataclass and one ``@register("type")`` strategy (plus its
request schema in ``kassa.api.schemas.prices``); nothing else names the types.
"""

from kassa.domain.pricing import strategies as _strategies  # noqa: F401  (registers the types)
from kassa.domain.pricing.charges import (
    STRATEGIES,
    Charge,
    ChargeLine,
    PeriodInputs,
    Phase,
    PriceStrategy,
    charge,
    quote,
    register,
    strategy_for,
)
from kassa.domain.pricing.fields import Problem
from kassa.domain.pricing.item import Item
from kassa.domain.pricing.model import (
    ExpressionCharge,
    ExpressionModel,
    FixedModel,
    GraduatedPercentageModel,
    GraduatedTieredModel,
    PrepaidFixedTieredModel,
    PrepaidTieredModel,
    PricingModel,
    TieredModel,
    TieredPercentageModel,
    UnitModel,
    VolumePercentageModel,
)
from kassa.domain.pricing.price import Price
from kassa.domain.pricing.serialization import price_from_dict, price_problems, price_to_dict
from kassa.domain.pricing.tiers import Tier, tier_problems

PRICE_TYPES: tuple[str, ...] = tuple(STRATEGIES)

__all__ = [
    "PRICE_TYPES",
    "STRATEGIES",
    "Charge",
    "ChargeLine",
    "ExpressionCharge",
    "ExpressionModel",
    "FixedModel",
    "GraduatedPercentageModel",
    "GraduatedTieredModel",
    "Item",
    "PeriodInputs",
    "Phase",
    "PrepaidFixedTieredModel",
    "PrepaidTieredModel",
    "Price",
    "PriceStrategy",
    "PricingModel",
    "Problem",
    "Tier",
    "TieredModel",
    "TieredPercentageModel",
    "UnitModel",
    "VolumePercentageModel",
    "charge",
    "price_from_dict",
    "price_problems",
    "price_to_dict",
    "quote",
    "register",
    "strategy_for",
    "tier_problems",
]
