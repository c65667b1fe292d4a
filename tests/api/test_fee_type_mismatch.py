"""A fixed price on a metered product is refused wherever an item set is written, naming the
field; a metered price (which names its own metrics) on a fixed product stays allowed, as the
subscription documents' example 1a does exactly that."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_subscription_errors import error, live  # noqa: F401 (fixture)
from tests.scenarios import seed_catalog as sc
from tests.scenarios.seed_catalog import ok

MESSAGE = (
    f"Product {sc.API_USAGE} has fee_type metered: a fixed price would bill none of its usage. "
    "Give it a metered price (fee_type metered with metric_ids), or use a fixed product."
)


def test_fixed_price_on_a_metered_product_is_refused_everywhere(api: TestClient) -> None:
    sc.build(api)
    wrong = {"product_id": sc.API_USAGE, "price": sc.fixed("10.00")}
    platform = {"product_id": sc.PLATFORM, "price": sc.fixed("500.00")}
    sub = {"customer_id": "wcqYrqfE", "currency": "USD"}
    cases = [
        ("/subscriptions", {**sub, "items": [platform, wrong]}, "items[1].price.fee_type"),
        ("/subscriptions", {**sub, "items": [{"bundle_id": sc.BUNDLE, "items": [wrong]}]},
         "items[0].items[0].price.fee_type"),
        ("/plans", {"name": "P", "currency": "USD", "items": [wrong]}, "items[0].price.fee_type"),
        ("/bundles", {"name": "B", "items": [platform, wrong]}, "items[1].price.fee_type"),
    ]
    for url, body, field in cases:
        assert error(api.post(url, json=body)) == (field, MESSAGE), (url, body)
    # a plan override is named at its index in the body, not in the merged plan set
    override = {**sub, "plan_id": sc.PLAN, "items": [wrong]}
    assert error(api.post("/subscriptions", json=override)) == ("items[0].price.fee_type", MESSAGE)
    assert error(api.patch(f"/plans/{sc.PLAN}", json={"items": [wrong]})) == (
        "items[0].price.fee_type", MESSAGE)
    assert error(api.patch(f"/bundles/{sc.BUNDLE}", json={"items": [wrong]})) == (
        "items[0].price.fee_type", MESSAGE)


def test_metered_price_on_a_fixed_product_stays_allowed(api: TestClient) -> None:
    sc.build(api)
    body = {"customer_id": "wcqYrqfE", "currency": "USD",
            "items": [{"product_id": sc.PLATFORM, "price": sc.GRADUATED_API}]}
    created = ok(api.post("/subscriptions", json=body), 201)
    assert created["status"] == "draft"


def test_changes_refuse_a_fixed_price_on_a_metered_product(live) -> None:  # noqa: F811
    api, sid = live
    url = f"/subscriptions/{sid}/changes"
    wrong = sc.fixed("10.00")
    add = {"add": [{"product_id": sc.API_USAGE, "new_price": wrong}]}
    assert error(api.post(url, json=add)) == ("add[0].new_price.fee_type", MESSAGE)
    assert error(api.post(f"{url}/preview", json=add)) == ("add[0].new_price.fee_type", MESSAGE)
    in_bundle = {"update": [{"bundle_id": sc.BUNDLE,
                             "add_items": [{"product_id": sc.API_USAGE, "new_price": wrong}]}]}
    assert error(api.post(url, json=in_bundle)) == (
        "update[0].add_items[0].new_price.fee_type", MESSAGE)
    metered = {"add": [{"product_id": sc.API_USAGE, "new_price": sc.GRADUATED_API}]}
    ok(api.post(url, json=metered), 201)
    replace = {"update": [{"product_id": sc.API_USAGE, "new_price": wrong}]}
    assert error(api.post(url, json=replace)) == ("update[0].new_price.fee_type", MESSAGE)
    assert len(ok(api.get(f"/subscriptions/{sid}/versions"))["data"]) == 2
