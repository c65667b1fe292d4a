"""The items editor of New Plan and New Bundle: rows of a product with its price, the price type
chosen from the ten, and the fields of that type (tiers, prepaid units, expression charges...).

Inputs are named by the API's own paths (``items[0].price.tiered_pricing_model.tiers[1]
.max_units``), so the body is the form read by ``form_paths.nested`` and an error of the request
schema or the service lands beside the input it names. Buttons (``step``) add an item, a tier or
a charge, remove an item, or show the fields of a newly chosen type; the page answers them by
showing the form again (htmx swaps a row's fields when its type changes)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kassa.api.schemas.prices import PRICING_MODELS, BillingInterval, Direction
from kassa.domain.pricing import PRICE_TYPES
from kassa.domain.pricing.serialization import MODEL_SUFFIX
from kassa.services import catalog
from kassa.services.context import Ctx
from kassa.web.dashboard.listing import page_query
from kassa.web.form_paths import Paths, nested

TYPE_LABELS = {
    "unit": "Per unit",
    "fixed": "Flat fee",
    "tiered": "Volume tiers",
    "graduated_tiered": "Graduated tiers",
    "tiered_percentage": "Volume percentage tiers",
    "graduated_percentage": "Graduated percentage tiers",
    "volume_percentage": "Percentage of volume",
    "prepaid_tiered": "Prepaid tiers",
    "prepaid_fixed_tiered": "Prepaid block with overage tiers",
    "expression": "Expression",
}
assert list(TYPE_LABELS) == list(PRICE_TYPES)
INTERVALS = [("monthly", "Monthly"), ("quarterly", "Quarterly"), ("semi_annual", "Every six months"),
             ("yearly", "Yearly")]
assert [v for v, _ in INTERVALS] == list(BillingInterval.__args__)
DIRECTIONS = [("", "As the type bills"), ("advance", "In advance"), ("arrears", "In arrears")]
assert [v for v, _ in DIRECTIONS[1:]] == list(Direction.__args__)
FEE_TYPES = [("fixed", "Fixed (seats or a flat amount)"), ("metered", "Metered (a metric's usage)")]
FREQUENCIES = [("recurring", "Recurring"), ("one-off", "One-off")]
CHARGE_DIRECTIONS = DIRECTIONS[:0:-1]  # arrears first: the default of a charge
# The model's own inputs (beside its tiers or charges), as (field, label, kind).
FIELDS: dict[str, list[tuple[str, str, str]]] = {
    "unit": [("price_per_unit", "Price per unit", "money")],
    "fixed": [("price_per_unit", "Amount", "money"), ("units", "Units (1 if empty)", "number")],
    "graduated_tiered": [("units", "Fixed units (optional)", "number")],
    "volume_percentage": [("percentage", "Percentage of volume (%)", "money"),
                          ("price_per_unit", "Per transaction (optional)", "money"),
                          ("fixed_fee", "Fixed fee (optional)", "money")],
    "prepaid_tiered": [("prepaid_units", "Prepaid units", "number")],
    "prepaid_fixed_tiered": [("prepaid_units", "Prepaid units", "number"),
                             ("overages_charge_interval", "Overage billed", "interval")],
}
TIERED = {t for t, schema in PRICING_MODELS.items() if "tiers" in schema.model_fields}
PERCENT_TIERS = {"tiered_percentage", "graduated_percentage"}
CHARGED = {t for t, schema in PRICING_MODELS.items() if "charges" in schema.model_fields}
TIER_ROWS, CHARGE_ROWS, MAX_ROWS = 2, 1, 100
OPTIONS_SHOWN = 100


@dataclass(frozen=True)
class Row:
    """One item row of the editor: its form index, its price type, its tier and charge rows."""

    index: int
    type: str
    tiers: range
    charges: range

    @property
    def price(self) -> str:
        return f"items[{self.index}].price"

    @property
    def model(self) -> str:
        return f"{self.price}.{self.type}{MODEL_SUFFIX}"


def _count(values: Mapping[str, str], pattern: str) -> int:
    """One more than the highest index of ``pattern``'s inputs (0 without any)."""
    found = [int(m.group(1)) for key in values if (m := re.match(pattern, key))]
    return max(found, default=-1) + 1


def rows(values: Mapping[str, str], step: str = "") -> tuple[list[Row], dict[str, str]]:
    """The editor's rows as the form holds them, after ``step`` (``add_item``, ``remove:2``,
    ``add_tier:0``, ``add_charge:0``); and the values to show (a removed row's are dropped)."""
    values = dict(values)
    action, _, target = step.partition(":")
    count = max(1, _count(values, r"items\[(\d+)\]\."))
    if action == "remove" and target.isdigit() and count > 1:
        values, count = _without(values, int(target)), count - 1
    if action == "add_item":
        count = min(count + 1, MAX_ROWS)
    found = []
    for index in range(count):
        price_type = values.get(f"items[{index}].price.type") or "fixed"
        if price_type not in TYPE_LABELS:
            price_type = "fixed"
        model = re.escape(f"items[{index}].price.{price_type}{MODEL_SUFFIX}")
        tiers = max(TIER_ROWS, _count(values, model + r"\.tiers\[(\d+)\]"))
        charges = max(CHARGE_ROWS, _count(values, model + r"\.charges\[(\d+)\]"))
        if target == str(index):
            tiers += action == "add_tier"
            charges += action == "add_charge"
        found.append(Row(index, price_type, range(min(tiers, MAX_ROWS)),
                         range(min(charges, MAX_ROWS))))
    return found, values


def _without(values: Mapping[str, str], removed: int) -> dict[str, str]:
    """``values`` without item row ``removed``, the rows after it moved up by one."""
    kept = {}
    for key, value in values.items():
        found = re.match(r"items\[(\d+)\]", key)
        if found is None:
            kept[key] = value
        elif (index := int(found.group(1))) != removed:
            shifted = index - (index > removed)
            kept[f"items[{shifted}]" + key[found.end():]] = value
    return kept


def read_items(fields: Mapping[str, str]) -> tuple[list[dict[str, Any]], Paths]:
    """The ``items`` the form sends and the form index of each; the model inputs of the types
    a row does not have (left over from before its type changed) are not sent, nor a row left
    untouched (no product, no quantity, no figure: its selects hold only their defaults)."""
    chosen = {key: value for key, value in fields.items()
              if _current(key, fields) and not _untouched(key, fields)}
    body, paths = nested(chosen, ["items"])
    return body.get("items", []), paths.children.get("items", Paths())


def _untouched(key: str, fields: Mapping[str, str]) -> bool:
    found = re.match(r"items\[(\d+)\]\.", key)
    if found is None:
        return False
    row = found.group(0)
    return not any(value.strip() for name, value in fields.items() if name.startswith(row) and (
        name in (row + "product_id", row + "quantity") or MODEL_SUFFIX + "." in name))


def _current(key: str, fields: Mapping[str, str]) -> bool:
    found = re.match(r"items\[(\d+)\]\.price\.([a-z_]+)" + re.escape(MODEL_SUFFIX), key)
    if found is None:
        return True
    return found.group(2) == (fields.get(f"items[{found.group(1)}].price.type") or "fixed")


def inputs(found: list[Row]) -> list[str]:
    """Every input and group of the editor an error may be shown beside (most precise first
    wins: ``field_errors`` matches the longest name that is the error's field or holds it)."""
    names = ["items"]
    for row in found:
        item = f"items[{row.index}]"
        names += [item, f"{item}.product_id", f"{item}.quantity", row.price, row.model,
                  f"{row.price}.type", f"{row.price}.billing_interval", f"{row.price}.fee_type",
                  f"{row.price}.billing_direction", f"{row.price}.billing_frequency",
                  f"{row.price}.metric_ids", f"{row.price}.metric_ids[0]",
                  f"{row.price}.metric_ids[1]"]
        names += [f"{row.model}.{name}" for name, _, _ in FIELDS.get(row.type, [])]
        if row.type in TIERED:
            names.append(f"{row.model}.tiers")
            names += [f"{row.model}.tiers[{t}].{name}" for t in row.tiers
                      for name in ("min_units", "max_units", "price_per_unit", "percentage",
                                   "fixed_fee")]
        if row.type in CHARGED:
            names.append(f"{row.model}.charges")
            names += [f"{row.model}.charges[{c}].{name}" for c in row.charges
                      for name in ("billing_direction", "description", "quantity_expression",
                                   "unit_price_expression")]
    return names


def editor(ctx: Ctx, found: list[Row]) -> dict[str, Any]:
    """What ``catalog/_items.html`` reads besides the rows: the choices of its selects."""
    listing = page_query(1, sort=("name", "asc"), per_page=OPTIONS_SHOWN)
    products = catalog.list_products(ctx, listing).rows
    metrics = catalog.list_metrics(ctx, listing).rows
    return {
        "rows": found,
        "product_options": [("", "Choose a product")] + [
            (p["id"], f"{p['name']} ({p['fee_type']})") for p in products],
        "metric_options": [("", "None")] + [(m["id"], m["name"]) for m in metrics],
        "type_options": list(TYPE_LABELS.items()),
        "intervals": INTERVALS, "directions": DIRECTIONS, "fee_types": FEE_TYPES,
        "frequencies": FREQUENCIES, "charge_directions": CHARGE_DIRECTIONS,
        "model_fields": FIELDS, "tiered": TIERED, "percent_tiers": PERCENT_TIERS,
        "charged": CHARGED,
    }

