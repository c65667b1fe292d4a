"""reprice_from_plan: what a renewal with renewal.pricing plan_latest takes from the plan."""

from __future__ import annotations

from kassa.domain.items import reprice_from_plan


def _item(product: str, amount: str, quantity: int | None = None) -> dict:
    item = {"product_id": product, "price": {"type": "fixed", "amount": amount}}
    if quantity is not None:
        item["quantity"] = quantity
    return item


V1 = [_item("platform", "100"), _item("support", "50"), _item("seats", "10", 1)]
V2 = [_item("platform", "120"), _item("seats", "12", 1), _item("analytics", "30")]


def test_plan_items_take_the_latest_prices_and_own_overrides_stay() -> None:
    current = [_item("platform", "100"), _item("support", "45"), _item("seats", "10", 7),
               _item("extra", "5")]
    items, kept = reprice_from_plan(current, [V1, V2], V2)
    # support was the subscription's own price (45, never the plan's): kept though the plan
    # dropped support; seats takes the new price with its own quantity; analytics is new.
    assert items == [_item("platform", "120"), _item("seats", "12", 7), _item("analytics", "30"),
                     _item("support", "45"), _item("extra", "5")]
    assert kept == [("product", "support"), ("product", "extra")]


def test_an_item_the_plan_dropped_goes_and_one_the_subscription_removed_stays_removed() -> None:
    current = [_item("platform", "100"), _item("support", "50")]  # seats removed by the sub
    items, kept = reprice_from_plan(current, [V1, V2], V2)
    assert items == [_item("platform", "120"), _item("analytics", "30")]
    assert kept == []


def test_an_override_of_a_key_the_plan_still_has_replaces_it_in_place() -> None:
    current = [_item("platform", "80"), _item("seats", "10", 2)]
    items, kept = reprice_from_plan(current, [V1, V2], V2)
    assert items == [_item("platform", "80"), _item("seats", "12", 2), _item("analytics", "30")]
    assert kept == [("product", "platform")]


def test_bundles_carry_their_childrens_quantities() -> None:
    old = {"bundle_id": "team", "items": [_item("platform", "250"), _item("seats", "20", 1)]}
    new = {"bundle_id": "team", "items": [_item("platform", "300"), _item("seats", "25", 1)]}
    mine = {"bundle_id": "team", "items": [_item("platform", "250"), _item("seats", "20", 9)]}
    items, kept = reprice_from_plan([mine], [[old], [new]], [new])
    assert items == [{"bundle_id": "team",
                      "items": [_item("platform", "300"), _item("seats", "25", 9)]}]
    assert kept == []


def test_nothing_changes_when_the_plan_did_not() -> None:
    current = [_item("platform", "100"), _item("support", "50")]
    assert reprice_from_plan(current, [current], current) == (current, [])
