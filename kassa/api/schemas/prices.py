"""Price objects (the ten documented types) and the subscription-level modifiers.

Pydantic checks the shape and types and documents them; the pure domain
(``kassa.domain.pricing.price_problems``) then checks the semantics (tiers contiguous, the model
object matching ``type``, metric ids for metered prices, ...). Every problem is a 422 naming the
exact field, e.g. ``items[1].price.graduated_tiered_pricing_model.tiers[2].max_units``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, create_model, model_validator

from kassa.api.errors import FieldErrors, validation_errors

from kassa.api.schemas.common import (
    CurrencyCode,
    DecimalValue,
    Flag,
    Integer,
    Money,
    NonNegativeMoney,
    Percentage,
    Schema,
    problem,
    problems,
)
from kassa.domain.pricing import (
    PRICE_TYPES,
    STRATEGIES,
    price_from_dict,
    price_problems,
    price_to_dict,
)
from kassa.domain.pricing.currency_options import OPTIONS, option_price, option_problems
from kassa.domain.pricing.serialization import MODEL_SUFFIX

PriceType = Literal[PRICE_TYPES]  # type: ignore[valid-type]  (the registered types, in order)
BillingInterval = Literal["monthly", "quarterly", "semi_annual", "yearly"]
FeeType = Literal["fixed", "metered"]
Direction = Literal["advance", "arrears"]
Frequency = Literal["recurring", "one-off"]
Units = Annotated[Integer, Field(ge=0, le=10**15)]
EXTRA_PRICE_FIELDS = (
    "display_order",
    "charge_on_contract_start",
    "trial_period_days",
    "discount",
    "minimum_spend",
    "maximum_spend",
)


# ------------------------------------------------------------------ modifiers


class Discount(Schema):
    """A discount: a percentage or a fixed amount, forever or for a number of months."""

    type: Literal["percentage", "fixed_amount"]
    amount: DecimalValue = Field(description="Percentage (0-100) or a money amount, as a string")
    duration_type: Literal["forever", "limited"] = "forever"
    duration_unit: Literal["months"] = "months"
    duration_value: Annotated[Integer, Field(ge=1, le=1200)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Discount:
        if self.type == "percentage" and not 0 <= self.amount <= 100:
            raise problem("amount", "a percentage discount must be between 0 and 100")
        if self.amount < 0:
            raise problem("amount", "must not be negative")
        if self.duration_type == "limited" and self.duration_value is None:
            raise problem("duration_value", "required for a limited discount (number of months)")
        return self


class SpendLimit(Schema):
    """A minimum or maximum spend per billing period."""

    amount: NonNegativeMoney
    period: BillingInterval = "monthly"


class PriceEscalation(Schema):
    enabled: Flag = True
    type: Literal["percentage"] = "percentage"
    percentage: Percentage
    interval_months: Annotated[Integer, Field(ge=1, le=120)] = 12
    escalate_metered_unit_rates: Flag = False


# ------------------------------------------------------------------ pricing models


class Tier(Schema):
    min_units: Units
    max_units: Units | None = Field(None, description="null: open-ended (last tier only)")
    price_per_unit: NonNegativeMoney | None = None
    percentage: Percentage | None = None
    fixed_fee: NonNegativeMoney | None = None


Tiers = Annotated[list[Tier], Field(min_length=1, max_length=100)]


class UnitPricing(Schema):
    price_per_unit: NonNegativeMoney


class FixedPricing(Schema):
    price_per_unit: NonNegativeMoney
    units: Units = 1
    total: Money | None = Field(None, description="Read-only (price_per_unit x units); ignored")


class TieredPricing(Schema):
    tiers: Tiers


class GraduatedTieredPricing(Schema):
    tiers: Tiers
    units: Units | None = Field(None, description="Fixed quantity for fixed-fee prices")


class VolumePercentagePricing(Schema):
    percentage: Percentage
    price_per_unit: NonNegativeMoney | None = Field(None, description="Per transaction")
    fixed_fee: NonNegativeMoney | None = None


class PrepaidTieredPricing(Schema):
    prepaid_units: Units
    tiers: Tiers


class PrepaidFixedTieredPricing(Schema):
    prepaid_units: Units
    overages_charge_interval: BillingInterval
    tiers: Tiers


class ExpressionCharge(Schema):
    billing_direction: Direction = "arrears"
    description: Annotated[str, Field(max_length=255)] | None = None
    quantity_expression: Annotated[str, Field(min_length=1, max_length=1000)]
    unit_price_expression: Annotated[str, Field(min_length=1, max_length=1000)]


class ExpressionPricing(Schema):
    charges: Annotated[list[ExpressionCharge], Field(min_length=1, max_length=20)]


# The request schema of each registered type's model object, ``<type>_pricing_model``.
PRICING_MODELS: dict[str, type[Schema]] = {
    "unit": UnitPricing,
    "fixed": FixedPricing,
    "tiered": TieredPricing,
    "graduated_tiered": GraduatedTieredPricing,
    "tiered_percentage": TieredPricing,
    "graduated_percentage": TieredPricing,
    "volume_percentage": VolumePercentagePricing,
    "prepaid_tiered": PrepaidTieredPricing,
    "prepaid_fixed_tiered": PrepaidFixedTieredPricing,
    "expression": ExpressionPricing,
}
if set(PRICING_MODELS) != set(PRICE_TYPES):
    raise RuntimeError(f"pricing model schemas {sorted(PRICING_MODELS)} != types {PRICE_TYPES}")


_MODEL_FIELDS = {  # one optional model object field per registered type
    price_type + MODEL_SUFFIX: (PRICING_MODELS[price_type] | None, None)
    for price_type in PRICE_TYPES
}

CurrencyOption = create_model(
    "CurrencyOption",
    __base__=Schema,
    __module__=__name__,
    __doc__="The price in another currency: the model object of the price's own type (and, "
            "when the price has a fixed_amount discount, that discount in this currency).",
    type=(PriceType | None, Field(None, description="When given: the price's own type")),
    discount=(Discount | None, None),
    **_MODEL_FIELDS,  # type: ignore[arg-type]
)


class _PriceFields(Schema):
    """The common fields of a price; ``Price`` adds one model field per registered type."""

    type: PriceType
    billing_interval: BillingInterval = "monthly"
    fee_type: FeeType | None = Field(None, description="Defaults to metered with metric_ids")
    billing_direction: Direction | None = None
    billing_frequency: Frequency | None = Field(None, description="Required for fixed fees")
    metric_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=80)]],
                          Field(max_length=10)] = []
    display_order: Integer | None = None
    charge_on_contract_start: Flag | None = None
    trial_period_days: Annotated[Integer, Field(ge=0, le=3650)] | None = None
    discount: Discount | None = None
    minimum_spend: SpendLimit | None = None
    maximum_spend: SpendLimit | None = None
    currency_options: Annotated[dict[CurrencyCode, CurrencyOption],  # type: ignore[valid-type]
                                Field(max_length=50)] | None = Field(
        None, description="The price in other currencies, by ISO 4217 code: "
        '{"EUR": {"unit_pricing_model": {"price_per_unit": "9.00"}}}. A subscription billed in '
        "one of them bills that price; in any other currency, this price converted at the "
        "exchange rate of the invoice date")

    @model_validator(mode="after")
    def _semantics(self) -> _PriceFields:
        dumped = self.model_dump(exclude_none=True)
        found = price_problems(dumped)
        if not found:
            found += option_problems(dumped)
        fee_type = self.fee_type or ("metered" if self.metric_ids else "fixed")
        if fee_type == "fixed" and self.billing_frequency is None:
            found.append(("billing_frequency", "required for fixed-fee prices: recurring or one-off"))
        if (
            fee_type == "metered"
            and self.billing_direction == "advance"
            and not STRATEGIES[self.type].metered_advance
        ):
            found.append(
                (
                    "billing_direction",
                    "metered usage is billed in arrears; use a prepaid type to charge in advance",
                )
            )
        if found:
            raise problems(found)
        return self

    def canonical(self) -> dict[str, Any]:
        """The stored form: the domain's canonical price plus the optional price-level fields."""
        dumped = self.model_dump(exclude_none=True)
        data = price_to_dict(price_from_dict(dumped))
        extras = self.model_dump(mode="json", include=set(EXTRA_PRICE_FIELDS), exclude_none=True)
        if self.currency_options:
            extras[OPTIONS] = _canonical_options(dumped)
        return {**data, **extras}


def _canonical_options(dumped: Mapping[str, Any]) -> dict[str, Any]:
    """Each option as stored: its model object in canonical form (and its discount)."""
    model_key = dumped["type"] + MODEL_SUFFIX
    stored = {}
    for code in sorted(dumped[OPTIONS]):
        option = price_from_dict(option_price(dumped, code))
        entry: dict[str, Any] = {model_key: option.model.to_dict()}
        discount = dumped[OPTIONS][code].get("discount")
        if discount is not None:
            entry["discount"] = Discount.model_validate(discount).model_dump(
                mode="json", exclude_none=True)
        stored[code] = entry
    return stored


Price = create_model(
    "Price",
    __base__=_PriceFields,
    __module__=__name__,
    __doc__="A price: common fields plus exactly one model object named after ``type``.",
    **_MODEL_FIELDS,  # type: ignore[call-overload]
)


def canonical_price(raw: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Validate a raw price payload (e.g. after an ``adjust`` merge) and return its stored form;
    problems are a 422 whose fields start with ``path``."""
    try:
        return Price.model_validate(raw).canonical()
    except ValidationError as exc:
        errors = [
            {**e, "field": f"{path}.{e['field']}" if e["field"] != "body" else path}
            for e in validation_errors(exc.errors())
        ]
        first = errors[0]
        raise FieldErrors(f"Invalid request: {first['field']}: {first['message']}", errors) from None
