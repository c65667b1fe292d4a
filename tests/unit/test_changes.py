"""The Changes API delta without a database: adjust merges field by field, arrays replace
wholesale, new_price with adjust is refused, bundle children only through their bundle."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.changes import apply_change, diff
from kassa.domain.errors import InvalidRequest

from .helpers import API_TIERS, PROPERTY, fixed_fee, metered

TIERED = {"product_id": "api", "price": metered("graduated_tiered", {"tiers": API_TIERS})}
SEATS = {"product_id": "seats", "quantity": 5,
         "price": fixed_fee("unit", {"price_per_unit": "10.00", "total": "50.00"})}
BUNDLE = {"bundle_id": "suite", "items": [
    {"product_id": "crm", "price": fixed_fee("unit", {"price_per_unit": "20.00"})}]}
ITEMS = [TIERED, SEATS, BUNDLE]


def _as_is(price: Mapping[str, Any], path: str) -> dict[str, Any]:
    """A normalize callback that accepts any price unchanged (validation is the API's)."""
    return dict(price)


def _apply(change: dict) -> list[dict]:
    return apply_change(ITEMS, change, _as_is)


def _refused(change: dict, field: str, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        _apply(change)
    assert (caught.value.field, caught.value.detail) == (field, message)


def test_adjust_merges_field_by_field() -> None:
    (_, seats, _) = _apply({"update": [{"product_id": "seats", "adjust": {
        "billing_interval": "quarterly", "unit_pricing_model": {"price_per_unit": "12.00"}}}]})
    expected = copy.deepcopy(SEATS["price"])
    expected["billing_interval"] = "quarterly"
    expected["unit_pricing_model"] = {"price_per_unit": "12.00"}  # the derived total is dropped
    assert seats == {**SEATS, "price": expected}


def test_tiers_are_replaced_wholesale() -> None:
    one_tier = [{"min_units": 0, "max_units": None, "price_per_unit": "0.01", "fixed_fee": None}]
    (api, *rest) = _apply({"update": [{"product_id": "api", "adjust": {
        "graduated_tiered_pricing_model": {"tiers": one_tier}}}]})
    assert api["price"]["graduated_tiered_pricing_model"] == {"tiers": one_tier}
    assert {k: v for k, v in api["price"].items() if not k.endswith("_model")} == {
        k: v for k, v in TIERED["price"].items() if not k.endswith("_model")}
    assert rest == [SEATS, BUNDLE]


def test_new_price_replaces_the_price_and_quantity_stays() -> None:
    new = fixed_fee("fixed", {"units": 1, "price_per_unit": "99.00"})
    (_, seats, _) = _apply({"update": [{"product_id": "seats", "new_price": new}]})
    assert seats == {"product_id": "seats", "quantity": 5, "price": new}


def test_new_price_with_adjust_is_refused() -> None:
    _refused({"update": [{"product_id": "seats", "adjust": {"billing_interval": "yearly"},
                          "new_price": fixed_fee("unit", {"price_per_unit": "1"})}]},
             "update[0].new_price",
             "adjust and new_price cannot be combined on one item: use adjust for a partial "
             "change or new_price to replace the price.")


def test_adjust_cannot_change_the_price_type() -> None:
    message = ("The price is unit; adjust cannot change its type. Use new_price to replace it "
               "with another type.")
    _refused({"update": [{"product_id": "seats", "adjust": {"type": "tiered"}}]},
             "update[0].adjust.type", message)
    _refused({"update": [{"product_id": "seats", "adjust": {"tiered_pricing_model": {}}}]},
             "update[0].adjust.tiered_pricing_model", message)


def test_an_update_must_change_something() -> None:
    _refused({"update": [{"product_id": "seats"}]}, "update[0]",
             "Nothing to update: give adjust, new_price or quantity.")


def test_a_bundle_child_is_reached_only_through_its_bundle() -> None:
    _refused({"update": [{"product_id": "crm", "quantity": 2}]}, "update[0].product_id",
             "crm is part of bundle suite; address it through its bundle: update[].bundle_id = "
             "suite with items[] (or remove_items[]).")
    _refused({"add": [{"product_id": "crm", "new_price": SEATS["price"]}]}, "add[0].product_id",
             "crm is already in bundle suite; update it through update[].bundle_id = suite.")
    (*_, suite) = _apply({"update": [{"bundle_id": "suite", "items": [
        {"product_id": "crm", "quantity": 2}]}]})
    assert suite["items"] == [{**BUNDLE["items"][0], "quantity": 2}]


def test_missing_and_present_items_say_what_to_do() -> None:
    _refused({"remove": [{"product_id": "nope"}]}, "remove[0].product_id",
             "nope is not on this subscription; there is nothing to remove.")
    _refused({"update": [{"product_id": "nope", "quantity": 1}]}, "update[0].product_id",
             "nope is not on this subscription; use add to add it.")
    _refused({"add": [{"product_id": "seats", "new_price": SEATS["price"]}]}, "add[0].product_id",
             "seats is already on this subscription; use update to change it.")
    _refused({"add": [{"product_id": "new"}]}, "add[0].new_price", "A new item needs new_price.")
    _refused({"remove": [{}]}, "remove[0]", "Name the item with product_id or bundle_id.")


def test_remove_then_add_in_one_change_replaces_the_item() -> None:
    new = fixed_fee("unit", {"price_per_unit": "15.00"})
    result = _apply({"add": [{"product_id": "seats", "new_price": new, "quantity": 3}],
                     "remove": [{"product_id": "seats"}]})
    assert result == [TIERED, BUNDLE, {"product_id": "seats", "price": new, "quantity": 3}]
    assert ITEMS == [TIERED, SEATS, BUNDLE]  # the input is not touched


def test_diff_lists_added_removed_and_updated_items() -> None:
    after = _apply({"remove": [{"product_id": "api"}],
                    "update": [{"product_id": "seats", "quantity": 6},
                               {"bundle_id": "suite", "add_items": [
                                   {"product_id": "mail", "new_price": SEATS["price"]}]}],
                    "add": [{"product_id": "sso", "new_price": SEATS["price"]}]})
    delta = diff(ITEMS, after)
    assert [i["product_id"] for i in delta.added] == ["sso"]
    assert delta.removed == [TIERED]
    assert [(u.get("bundle_id"), u["product_id"], u["before"] is None) for u in delta.updated] == [
        (None, "seats", False), ("suite", "mail", True)]


@PROPERTY
@given(st.lists(st.integers(min_value=1, max_value=1000), min_size=3, max_size=3),
       st.sets(st.sampled_from(["api", "seats", "crm"])))
def test_quantity_updates_change_exactly_the_items_named(quantities, named) -> None:
    """Updating quantities changes those items and nothing else; diff finds exactly them, and
    nothing between a set and itself."""
    wanted = dict(zip(["api", "seats", "crm"], quantities))
    ops = [{"product_id": p, "quantity": wanted[p]} for p in sorted(named - {"crm"})]
    if "crm" in named:
        ops.append({"bundle_id": "suite", "items": [{"product_id": "crm",
                                                     "quantity": wanted["crm"]}]})
    after = _apply({"update": ops})
    changed = {p for p in named if wanted[p] != {"seats": 5}.get(p, 1)}
    assert {u["product_id"] for u in diff(ITEMS, after).updated} == changed
    assert diff(after, after).as_dict() == {"added": [], "removed": [], "updated": []}
