"""A price's amounts in other currencies: ``currency_options``.

A stored price may carry ``currency_options: {"EUR": {"unit_pricing_model": {...}}, ...}``: per
ISO 4217 code, the model object of the price's own type (``type`` may be repeated, and must then
be the same), and, when the price has a ``fixed_amount`` discount, that discount in the option's
currency (a percentage discount applies as it is). Everything else (interval, fee type,
direction, metrics, trial) is the price's own. A subscription billed in a currency its price has
an option for bills the option as given, with no conversion (``option_price``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kassa.domain.currencies import is_currency
from kassa.domain.pricing.fields import Problem
from kassa.domain.pricing.serialization import MODEL_SUFFIX, price_problems

OPTIONS = "currency_options"
OPTION_KEYS = ("type", "discount")


def options_of(price: Mapping[str, Any]) -> Mapping[str, Any]:
    """The price's ``currency_options`` (empty when it has none)."""
    return price.get(OPTIONS) or {}


def _models_removed(price: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in price.items() if not k.endswith(MODEL_SUFFIX) and k != OPTIONS}


def option_price(price: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """The stored price as it bills in ``currency`` from its option there: the option's model
    object (and fixed-amount discount) in place of the price's; KeyError without an option."""
    option = options_of(price)[currency]
    model_key = price["type"] + MODEL_SUFFIX
    billed = {**_models_removed(price), model_key: option[model_key]}
    if "discount" in option:
        billed["discount"] = option["discount"]
    return billed


def option_problems(price: Mapping[str, Any]) -> list[Problem]:
    """Every problem of the price's ``currency_options`` as ``(path, message)``, paths from the
    price object (``currency_options.EUR.unit_pricing_model.price_per_unit``). The price itself
    is assumed valid."""
    options = price.get(OPTIONS)
    if options is None:
        return []
    if not isinstance(options, Mapping):
        return [(OPTIONS, "must be an object of currency codes")]
    price_type = price.get("type")
    model_key = f"{price_type}{MODEL_SUFFIX}"
    discount = price.get("discount") or {}
    problems: list[Problem] = []
    for code, option in options.items():
        at = f"{OPTIONS}.{code}"
        if not isinstance(code, str) or not is_currency(code):
            problems.append((at, f"{code!r} is not an ISO 4217 currency code (upper case)"))
            continue
        if not isinstance(option, Mapping):
            problems.append((at, "must be an object with the price's model object"))
            continue
        for key in option:
            if key != model_key and key not in OPTION_KEYS:
                where = (f"does not belong to a {price_type} price: give only {model_key}"
                         if str(key).endswith(MODEL_SUFFIX) else
                         f"not allowed in a currency option: give {model_key} (and discount)")
                problems.append((f"{at}.{key}", where))
        if "type" in option and option["type"] != price_type:
            problems.append((f"{at}.type", f"must be {price_type}, the price's own type"))
        if model_key not in option:
            problems.append((f"{at}.{model_key}", "is required"))
            continue
        if discount.get("type") == "fixed_amount" and "discount" not in option:
            problems.append((f"{at}.discount", f"the price has a fixed_amount discount: give "
                                               f"its amount in {code}"))
        composed = {**_models_removed(price), model_key: option[model_key]}
        problems += [(f"{at}.{path}", message) for path, message in price_problems(composed)
                     if path.startswith(model_key)]
    return problems
