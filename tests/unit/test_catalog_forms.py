"""The catalog forms without a browser: inputs named by the API's field paths read as the request
body (blank inputs and rows left out), an error on the body named as the form names it, and the
items editor's steps (Add item, Add tier, Remove)."""

from __future__ import annotations

import pytest

from kassa.api.errors import FieldErrors
from kassa.api.schemas.plans import PlanCreate
from kassa.web.dashboard import price_forms
from kassa.web.form_paths import errors_by_input, nested, tokens
from kassa.web.forms import FORM, parsed

TIERS = "items[{}].price.tiered_pricing_model.tiers[{}].{}"


def test_paths_read_as_tokens() -> None:
    assert tokens("items[0].price.tiers[12].max_units") == [
        "items", 0, "price", "tiers", 12, "max_units"]
    assert tokens("name") == ["name"]
    assert tokens("items[x]") == [] and tokens("") == []


def test_blank_inputs_and_rows_are_left_out_and_the_form_index_kept() -> None:
    body, paths = nested({
        "name": " Growth ", "contract.period_type": "fixed", "contract.duration_months": "",
        "metric_ids[0]": "", "metric_ids[3]": "mtr_b", "metric_ids[1]": "mtr_a",
        TIERS.format(2, 0, "min_units"): "", TIERS.format(2, 1, "min_units"): "0",
        "csrf_token": "not a root",
    }, ["name", "contract", "metric_ids", "items"])
    assert body == {"name": "Growth", "contract": {"period_type": "fixed"},
                    "metric_ids": ["mtr_a", "mtr_b"],
                    "items": [{"price": {"tiered_pricing_model": {"tiers": [{"min_units": "0"}]}}}]}
    assert paths.form_path("metric_ids[1]") == "metric_ids[3]"
    assert paths.form_path("items[0].price.tiered_pricing_model.tiers[0].max_units") == (
        TIERS.format(2, 1, "max_units"))
    assert paths.form_path("items[5].product_id") == "items[5].product_id"  # beyond: as is
    assert paths.form_path("name") == "name"


def test_a_refusal_is_shown_beside_the_input_the_form_names() -> None:
    fields = {"name": "Growth", "currency": "USD", "items[0].product_id": "",
              "items[1].product_id": "prod_a", "items[1].price.type": "tiered",
              "items[1].price.billing_frequency": "recurring",
              TIERS.format(1, 0, "min_units"): "0", TIERS.format(1, 0, "max_units"): "10",
              TIERS.format(1, 0, "price_per_unit"): "1.00",
              TIERS.format(1, 1, "min_units"): "", TIERS.format(1, 1, "price_per_unit"): "",
              TIERS.format(1, 2, "min_units"): "11", TIERS.format(1, 2, "price_per_unit"): "1,5"}
    body, paths = nested(fields, ["name", "currency"])
    body["items"], paths.children["items"] = price_forms.read_items(fields)
    with pytest.raises(FieldErrors) as refused:
        parsed(PlanCreate, body)
    rows, _ = price_forms.rows(fields)
    inputs = ["name", "currency"] + price_forms.inputs(rows)
    assert errors_by_input(refused.value, paths, inputs) == {
        TIERS.format(1, 2, "price_per_unit"): 'Money must be a decimal string such as "500.00".',
    }
    body["items"][0]["price"]["tiered_pricing_model"]["tiers"][1]["price_per_unit"] = "1.50"
    body["items"][0]["price"]["tiered_pricing_model"]["tiers"][1]["min_units"] = "12"
    with pytest.raises(FieldErrors) as refused:
        parsed(PlanCreate, body)
    assert errors_by_input(refused.value, paths, inputs) == {
        TIERS.format(1, 2, "min_units"): "Must be 11, one more than the previous max_units.",
    }
    assert errors_by_input(FieldErrors("x", [{"field": "metadata", "message": "bad"}]), paths,
                           inputs) == {FORM: "Bad."}


def test_the_model_inputs_of_another_type_are_not_sent() -> None:
    items, _ = price_forms.read_items({
        "items[0].product_id": "prod_a", "items[0].price.type": "unit",
        "items[0].price.fixed_pricing_model.price_per_unit": "9.00",
        "items[0].price.unit_pricing_model.price_per_unit": "2.00"})
    assert items == [{"product_id": "prod_a", "price": {
        "type": "unit", "unit_pricing_model": {"price_per_unit": "2.00"}}}]


def test_the_editor_steps() -> None:
    values = {"items[0].price.type": "tiered", TIERS.format(0, 2, "min_units"): "5",
              "items[1].product_id": "prod_b", "items[2].product_id": "prod_c",
              "items[2].price.type": "nonsense"}
    rows, kept = price_forms.rows(values)
    assert [(r.index, r.type, len(r.tiers)) for r in rows] == [
        (0, "tiered", 3), (1, "fixed", 2), (2, "fixed", 2)]
    rows, _ = price_forms.rows(values, "add_tier:0")
    assert len(rows[0].tiers) == 4 and len(rows[1].tiers) == 2
    rows, _ = price_forms.rows(values, "add_item")
    assert [r.index for r in rows] == [0, 1, 2, 3]
    rows, kept = price_forms.rows(values, "remove:1")
    assert [r.index for r in rows] == [0, 1]
    assert kept["items[1].product_id"] == "prod_c" and "items[2].product_id" not in kept
    rows, _ = price_forms.rows({}, "remove:0")  # the last row stays
    assert [(r.index, r.type) for r in rows] == [(0, "fixed")]


def test_an_untouched_row_is_not_sent() -> None:
    defaults = {"price.type": "fixed", "price.billing_interval": "monthly",
                "price.fee_type": "fixed", "price.billing_frequency": "recurring",
                "price.fixed_pricing_model.price_per_unit": "", "product_id": "", "quantity": ""}
    fields = {f"items[{row}].{name}": value for row in (0, 1) for name, value in defaults.items()}
    fields["items[1].price.fixed_pricing_model.price_per_unit"] = "5.00"  # typed: sent
    items, paths = price_forms.read_items(fields)
    assert len(items) == 1 and paths.rows == [1]
    assert items[0]["price"]["fixed_pricing_model"] == {"price_per_unit": "5.00"}
