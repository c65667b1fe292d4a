"""Catalog (issue 14: "Catalog: Products, Plans (New Plan with its items and prices), Metrics,
Bundles"), each form filled in the browser and its effect read back through the HTTP API:
exactly the prices and amounts typed, a bad value refused beside its field, and a viewer with no
New button whose forged POST is refused."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.scenarios.seed_catalog import ok
from tests.web.conftest import error_beside, nav, sign_in, text_of
from tests.web.server import form_token


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _metric(api, tag: str) -> dict:
    return ok(api.post("/metrics", json={"name": f"API calls {tag}", "event_name": f"call_{tag}",
                                         "aggregation": {"method": "count"}}), 201)


def _product(api, name: str, **fields) -> dict:
    body = {"name": name, "fee_type": "fixed", "billing_frequency": "recurring", **fields}
    return ok(api.post("/products", json=body), 201)


def _submit(page, name: str, status: int) -> None:
    """Press the button ``name``; the POST answers ``status``."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name=name, exact=True).click()
    assert answer.value.status == status, text_of(answer.value)


def test_products_new_edit_search_archive(admin, sandbox_api) -> None:
    tag = _tag()
    metric = _metric(sandbox_api, tag)
    nav(admin, "Catalog").click()
    admin.wait_for_url("**/dashboard/catalog")
    expect(tab(admin, "Products")).to_have_attribute("aria-current", "page")
    admin.get_by_role("link", name="New Product").click()
    admin.get_by_label("Name").fill(f"Usage {tag}")
    admin.get_by_label("Fee type").select_option("metered")
    admin.get_by_label("Billing frequency").select_option("")
    _submit(admin, "Create Product", 422)  # metered, but no metric chosen
    error_beside(admin, admin.get_by_role("group", name="Metrics (metered products)"),
                 "A metered product needs at least one metric.")
    expect(admin.get_by_label("Name")).to_have_value(f"Usage {tag}")  # kept
    admin.get_by_label(metric["name"]).check()
    admin.get_by_label("SKU (optional)").fill(f"SKU-{tag}")
    admin.get_by_role("button", name="Create Product").click()
    admin.wait_for_url("**/catalog/products/*?done=created")
    expect(admin.get_by_role("status")).to_have_text("Created the product.")
    product_id = admin.url.split("/products/")[1].split("?")[0]
    product = ok(sandbox_api.get(f"/products/{product_id}"))
    assert {k: product[k] for k in ("name", "fee_type", "payment_terms", "billing_frequency",
                                    "metric_ids", "sku")} == {
        "name": f"Usage {tag}", "fee_type": "metered", "payment_terms": "arrears",
        "billing_frequency": None, "metric_ids": [metric["id"]], "sku": f"SKU-{tag}"}

    # Edit: rename, clear the SKU.
    admin.get_by_role("link", name="Edit", exact=True).click()
    admin.get_by_label("Name").fill(f"API usage {tag}")
    admin.get_by_label("SKU (optional)").fill("")
    admin.get_by_role("button", name="Save").click()
    admin.wait_for_url("**?done=updated")
    after = ok(sandbox_api.get(f"/products/{product_id}"))
    assert (after["name"], after["sku"], after["metric_ids"]) == (f"API usage {tag}", None,
                                                                 [metric["id"]])
    # Search finds it by name (any case) and by id; then Archive.
    tab(admin, "Products").click()
    admin.get_by_label("Search products").fill(f"api USAGE {tag}")
    admin.get_by_label("Search products").press("Enter")
    expect(admin.get_by_role("link", name=f"API usage {tag}")).to_be_visible()
    expect(admin.locator("#product-results tbody tr")).to_have_count(1)
    admin.goto(f"/dashboard/catalog?q={product_id}")
    admin.get_by_role("link", name=f"API usage {tag}").click()
    admin.get_by_role("button", name="Archive").click()
    admin.wait_for_url("**?done=archived")
    assert ok(sandbox_api.get(f"/products/{product_id}"))["archived_at"] is not None


def tab(page, name: str):
    """The Catalog tab ``name``."""
    return page.get_by_role("navigation", name="Catalog").get_by_role("link", name=name)


def _item(page, n: int):
    return page.get_by_role("group", name=f"Item {n}", exact=True)


def test_new_plan_with_a_flat_fee_and_volume_tiers(admin, sandbox_api) -> None:
    tag = _tag()
    metric = _metric(sandbox_api, tag)
    platform = _product(sandbox_api, f"Platform {tag}")
    usage = _product(sandbox_api, f"API usage {tag}", fee_type="metered",
                     billing_frequency=None, metric_ids=[metric["id"]])
    admin.goto("/dashboard/catalog")
    tab(admin, "Plans").click()
    admin.get_by_role("link", name="New Plan").click()
    form = admin.get_by_role("form", name="New Plan")
    form.get_by_label("Name", exact=True).fill(f"Growth {tag}")
    form.get_by_label("Description (optional)").fill("Platform fee and API usage")
    expect(form.get_by_label("Currency")).to_have_value("USD")
    form.get_by_label("Contract term").select_option(label="Fixed term")
    form.get_by_label("Term length (months)").fill("12")
    first = _item(admin, 1)
    first.get_by_label("Product").select_option(platform["id"])
    expect(first.get_by_label("Price type")).to_have_value("fixed")  # Flat fee
    first.get_by_label("Amount").fill("99.00")
    admin.get_by_role("button", name="Add item").click()
    second = _item(admin, 2)
    expect(first.get_by_label("Amount")).to_have_value("99.00")  # kept
    second.get_by_label("Product").select_option(usage["id"])
    # Choosing the type swaps in its fields (htmx), the rest of the row stays as it was.
    with admin.expect_response(lambda r: r.request.method == "POST") as swap:
        second.get_by_label("Price type").select_option(label="Volume tiers")
    assert swap.value.status == 200
    expect(second.get_by_role("table", name="Tiers of item 2")).to_be_visible()
    expect(second.get_by_label("Product")).to_have_value(usage["id"])
    second.get_by_label("Fee type").select_option("metered")
    second.get_by_label("Metric (metered prices)").select_option(metric["id"])
    second.get_by_label("Tier 1 from").fill("0")
    second.get_by_label("Tier 1 up to").fill("1000")
    second.get_by_label("Tier 1 price per unit").fill("0.10")
    second.get_by_label("Tier 2 from").fill("1001")
    second.get_by_label("Tier 2 price per unit").fill("0,05")
    _submit(admin, "Create Plan", 422)
    second = _item(admin, 2)
    error_beside(admin, second.get_by_label("Tier 2 price per unit"),
                 "Money must be a decimal string such as \"500.00\".")
    second.get_by_label("Tier 2 price per unit").fill("0.05")
    second.get_by_role("button", name="Add tier").click()  # a third row, left empty
    second = _item(admin, 2)
    expect(second.get_by_label("Tier 3 from")).to_have_value("")
    expect(second.get_by_label("Tier 2 price per unit")).to_have_value("0.05")
    admin.get_by_role("button", name="Create Plan", exact=True).click()
    admin.wait_for_url("**/catalog/plans/*?done=created")
    expect(admin.get_by_role("status")).to_have_text("Created the plan.")
    expect(admin.get_by_role("table", name=f"API usage {tag}: tiers")).to_contain_text("0.05 USD")

    plan_id = admin.url.split("/plans/")[1].split("?")[0]
    plan = ok(sandbox_api.get(f"/plans/{plan_id}"))
    assert (plan["name"], plan["description"], plan["currency"], plan["contract"]) == (
        f"Growth {tag}", "Platform fee and API usage", "USD",
        {"period_type": "fixed", "duration_months": 12})
    assert plan["items"] == [
        {"product_id": platform["id"], "price": {
            "type": "fixed", "billing_interval": "monthly", "fee_type": "fixed",
            "billing_direction": "advance", "billing_frequency": "recurring", "metric_ids": [],
            "fixed_pricing_model": {"price_per_unit": "99.00", "units": 1, "total": "99.00"}}},
        {"product_id": usage["id"], "price": {
            "type": "tiered", "billing_interval": "monthly", "fee_type": "metered",
            "billing_direction": "arrears", "billing_frequency": "recurring",
            "metric_ids": [metric["id"]], "tiered_pricing_model": {"tiers": [
                {"min_units": 0, "max_units": 1000, "price_per_unit": "0.10", "fixed_fee": None},
                {"min_units": 1001, "max_units": None, "price_per_unit": "0.05",
                 "fixed_fee": None}]}}},
    ]
    tab(admin, "Plans").click()
    expect(admin.get_by_role("row").filter(has_text=plan_id)).to_contain_text(f"Platform {tag}")


def test_new_plan_without_javascript(browser, server, sandbox_api) -> None:
    """A submit shows the fields of the chosen type when no script swaps them."""
    tag = _tag()
    product = _product(sandbox_api, f"Seats {tag}")
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, server.user("member"), path="/dashboard/catalog/plans/new")
        page.get_by_label("Name", exact=True).fill(f"Seats {tag}")
        item = _item(page, 1)
        item.get_by_label("Product").select_option(product["id"])
        item.get_by_label("Price type").select_option(label="Graduated tiers")
        item.get_by_role("button", name="Show the fields of this type").click()
        item = _item(page, 1)
        item.get_by_label("Tier 1 from").fill("0")
        item.get_by_label("Tier 1 up to").fill("10")
        item.get_by_label("Tier 1 price per unit").fill("20.00")
        item.get_by_label("Tier 2 from").fill("11")
        item.get_by_label("Tier 2 price per unit").fill("15.00")
        item.get_by_label("Tier 2 fixed fee").fill("5.00")
        item.get_by_label("Quantity (optional)").fill("12")
        page.get_by_role("button", name="Create Plan", exact=True).click()
        page.wait_for_url("**/catalog/plans/*?done=created")
        plan_id = page.url.split("/plans/")[1].split("?")[0]
    finally:
        context.close()
    [item] = ok(sandbox_api.get(f"/plans/{plan_id}"))["items"]
    assert item["quantity"] == 12 and item["price"]["type"] == "graduated_tiered"
    assert item["price"]["graduated_tiered_pricing_model"]["tiers"] == [
        {"min_units": 0, "max_units": 10, "price_per_unit": "20.00", "fixed_fee": None},
        {"min_units": 11, "max_units": None, "price_per_unit": "15.00", "fixed_fee": "5.00"}]


def test_new_metric_with_a_filter(admin, sandbox_api) -> None:
    tag = _tag()
    admin.goto("/dashboard/catalog/metrics")
    admin.get_by_role("link", name="New Metric").click()
    admin.get_by_label("Name", exact=True).fill(f"EU volume {tag}")
    admin.get_by_label("Event name").fill(f"payment_{tag}")
    admin.get_by_label("Aggregation").select_option(label="Sum")
    admin.get_by_label("Filter 1 property").fill("region")
    admin.get_by_label("Filter 1 operator").select_option(label="is one of (comma-separated)")
    admin.get_by_label("Filter 1 value").fill("eu, uk")
    _submit(admin, "Create Metric", 422)  # a sum needs its property
    error_beside(admin, admin.get_by_label("Property aggregated"),
                 "Required for the sum aggregation.")
    expect(admin.get_by_label("Filter 1 value")).to_have_value("eu, uk")
    admin.get_by_label("Property aggregated").fill("amount")
    admin.get_by_label("Filter 2 property").fill("amount")
    admin.get_by_label("Filter 2 operator").select_option(label="greater than")
    admin.get_by_label("Filter 2 value").fill("0")
    admin.get_by_role("button", name="Create Metric").click()
    admin.wait_for_url("**/catalog/metrics/*?done=created")
    expect(admin.get_by_role("table", name="Filter group 1")).to_contain_text("eu, uk")
    metric_id = admin.url.split("/metrics/")[1].split("?")[0]
    metric = ok(sandbox_api.get(f"/metrics/{metric_id}"))
    assert (metric["name"], metric["event_name"], metric["aggregation"]) == (
        f"EU volume {tag}", f"payment_{tag}", {"method": "sum", "field": "amount"})
    assert metric["filter_groups"] == [{"operator": "and", "filters": [
        {"field": "region", "operator": "in", "value": ["eu", "uk"]},
        {"field": "amount", "operator": "gt", "value": "0"}]}]
    tab(admin, "Metrics").click()
    expect(admin.get_by_role("row").filter(has_text=metric_id)).to_contain_text("Sum of amount")


def test_new_bundle(admin, sandbox_api) -> None:
    tag = _tag()
    core = _product(sandbox_api, f"Core {tag}")
    support = _product(sandbox_api, f"Support {tag}")
    admin.goto("/dashboard/catalog/bundles")
    admin.get_by_role("link", name="New Bundle").click()
    admin.get_by_label("Name", exact=True).fill(f"Starter {tag}")
    _item(admin, 1).get_by_label("Product").select_option(core["id"])
    _item(admin, 1).get_by_label("Amount").fill("49.00")
    admin.get_by_role("button", name="Add item").click()
    second = _item(admin, 2)
    second.get_by_label("Product").select_option(support["id"])
    with admin.expect_response(lambda r: r.request.method == "POST"):
        second.get_by_label("Price type").select_option(label="Per unit")
    second.get_by_label("Price per unit").fill("-5.00")
    second.get_by_label("Quantity (optional)").fill("3")
    _submit(admin, "Create Bundle", 422)
    error_beside(admin, _item(admin, 2).get_by_label("Price per unit"), "Must not be negative.")
    _item(admin, 2).get_by_label("Price per unit").fill("5.00")
    admin.get_by_role("button", name="Create Bundle", exact=True).click()
    admin.wait_for_url("**/catalog/bundles/*?done=created")
    bundle_id = admin.url.split("/bundles/")[1].split("?")[0]
    bundle = ok(sandbox_api.get(f"/bundles/{bundle_id}"))
    assert bundle["name"] == f"Starter {tag}"
    assert [(i["product_id"], i["price"]["type"], i.get("quantity"),
             i["price"][i["price"]["type"] + "_pricing_model"]["price_per_unit"])
            for i in bundle["items"]] == [(core["id"], "fixed", None, "49.00"),
                                          (support["id"], "unit", 3, "5.00")]
    expect(admin.get_by_role("link", name=f"Support {tag}")).to_be_visible()
    # A plan of the bundle alone: its item row left untouched, the bundle checked.
    tab(admin, "Plans").click()
    admin.get_by_role("link", name="New Plan").click()
    admin.get_by_label("Name", exact=True).fill(f"Starter plan {tag}")
    admin.get_by_role("group", name="Bundles (optional)").get_by_label(f"Starter {tag}").check()
    admin.get_by_role("button", name="Create Plan", exact=True).click()
    admin.wait_for_url("**/catalog/plans/*?done=created")
    expect(admin.get_by_role("row", name=f"Starter {tag} (bundle)")).to_be_visible()
    plan_id = admin.url.split("/plans/")[1].split("?")[0]
    assert ok(sandbox_api.get(f"/plans/{plan_id}"))["items"] == [
        {"bundle_id": bundle_id, "items": bundle["items"]}]


def test_a_viewer_sees_the_catalog_but_cannot_change_it(server, page, sandbox_api) -> None:
    tag = _tag()
    product = _product(sandbox_api, f"Viewed {tag}")
    plan = ok(sandbox_api.post("/plans", json={"name": f"Viewed {tag}", "currency": "USD",
                                               "items": [{"product_id": product["id"], "price": {
                                                   "type": "unit", "billing_frequency": "recurring",
                                                   "unit_pricing_model": {
                                                       "price_per_unit": "7.00"}}}]}), 201)
    sign_in(page, server.user("viewer"), path="/dashboard/catalog")
    for path in ("/dashboard/catalog", "/dashboard/catalog/plans", "/dashboard/catalog/metrics",
                 "/dashboard/catalog/bundles", f"/dashboard/catalog/products/{product['id']}",
                 f"/dashboard/catalog/plans/{plan['id']}"):
        page.goto(path)
        for name in ("New Product", "New Plan", "New Metric", "New Bundle", "Edit", "Archive"):
            assert page.get_by_role("link", name=name, exact=True).count() == 0, (path, name)
            assert page.get_by_role("button", name=name, exact=True).count() == 0, (path, name)
    expect(page.get_by_role("cell", name="7.00 USD")).to_be_visible()  # the plan page shows
    assert page.goto("/dashboard/catalog/plans/new").status == 403
    token = form_token(page.content())
    for path, fields in [
        ("/dashboard/catalog/products/new", {"name": "Forged", "fee_type": "fixed",
                                             "billing_frequency": "recurring"}),
        (f"/dashboard/catalog/products/{product['id']}/archive", {}),
        ("/dashboard/catalog/plans/new", {"name": "Forged", "currency": "USD"}),
        (f"/dashboard/catalog/plans/{plan['id']}/archive", {}),
        ("/dashboard/catalog/metrics/new", {"name": "Forged", "event_name": "forged"}),
        ("/dashboard/catalog/bundles/new", {"name": "Forged"}),
    ]:
        refused = page.request.post(path, form={**fields, "csrf_token": token}, max_redirects=0)
        assert refused.status == 403, path
        assert "Viewers can look at everything but change nothing." in text_of(refused)
    assert ok(sandbox_api.get("/products", params={"search": "Forged"}))["data"] == []
    assert ok(sandbox_api.get(f"/plans/{plan['id']}"))["archived_at"] is None
    assert ok(sandbox_api.get(f"/products/{product['id']}"))["archived_at"] is None


def test_every_price_type_has_its_fields(admin, sandbox_api) -> None:
    """Each of the ten types swaps in its own fields; an expression price is created with its
    charge as typed."""
    tag = _tag()
    metric = _metric(sandbox_api, tag)
    usage = _product(sandbox_api, f"Metered {tag}", fee_type="metered", billing_frequency=None,
                     metric_ids=[metric["id"]])
    admin.goto("/dashboard/catalog/plans/new")
    item = _item(admin, 1)
    shown = {"Per unit": "Price per unit", "Flat fee": "Amount",
             "Volume tiers": "Tier 1 price per unit", "Graduated tiers": "Fixed units (optional)",
             "Volume percentage tiers": "Tier 1 percentage (%)",
             "Graduated percentage tiers": "Tier 2 percentage (%)",
             "Percentage of volume": "Percentage of volume (%)",
             "Prepaid tiers": "Prepaid units", "Prepaid block with overage tiers": "Overage billed",
             "Expression": "Charge 1 quantity"}
    for label, field in shown.items():
        with admin.expect_response(lambda r: r.request.method == "POST"):
            item.get_by_label("Price type").select_option(label=label)
        expect(item.get_by_role("heading", name=label, exact=True)).to_be_visible()
        expect(item.get_by_label(field, exact=True)).to_be_visible()
    admin.get_by_label("Name", exact=True).fill(f"Compute {tag}")
    item.get_by_label("Product").select_option(usage["id"])
    item.get_by_label("Fee type").select_option("metered")
    item.get_by_label("Metric (metered prices)").select_option(metric["id"])
    item.get_by_label("Charge 1 description").fill("Calls over 100")
    item.get_by_label("Charge 1 quantity").fill(f"max(usage.call_{tag} - 100, 0)")
    item.get_by_label("Charge 1 unit price").fill("0.02")
    admin.get_by_role("button", name="Create Plan", exact=True).click()
    admin.wait_for_url("**/catalog/plans/*?done=created")
    plan_id = admin.url.split("/plans/")[1].split("?")[0]
    [created] = ok(sandbox_api.get(f"/plans/{plan_id}"))["items"]
    assert created["price"]["expression_pricing_model"] == {"charges": [{
        "billing_direction": "arrears", "description": "Calls over 100",
        "quantity_expression": f"max(usage.call_{tag} - 100, 0)",
        "unit_price_expression": "0.02"}]}


def test_edit_a_plan_keeps_what_it_does_not_show_and_changes_what_is_typed(
        admin, sandbox_api) -> None:
    tag = _tag()
    metric = _metric(sandbox_api, tag)
    platform = _product(sandbox_api, f"Platform {tag}")
    usage = _product(sandbox_api, f"API usage {tag}", fee_type="metered",
                     billing_frequency=None, metric_ids=[metric["id"]])
    plan = ok(sandbox_api.post("/plans", json={
        "name": f"Growth {tag}", "description": "Before", "currency": "EUR",
        "contract": {"period_type": "fixed", "duration_months": 12},
        "billing": {"payment_terms": "net_30", "auto_pay_invoices": False},
        "items": [
            {"product_id": platform["id"], "price": {
                "type": "fixed", "billing_frequency": "recurring",
                "fixed_pricing_model": {"price_per_unit": "99.00"}}},
            {"product_id": usage["id"], "price": {
                "type": "tiered", "fee_type": "metered", "billing_frequency": "recurring",
                "metric_ids": [metric["id"]], "tiered_pricing_model": {"tiers": [
                    {"min_units": 0, "max_units": 1000, "price_per_unit": "0.10"},
                    {"min_units": 1001, "price_per_unit": "0.05"}]}}}]}), 201)
    admin.goto(f"/dashboard/catalog/plans/{plan['id']}")
    admin.get_by_role("link", name="Edit", exact=True).click()
    form = admin.get_by_role("form", name=f"Edit Growth {tag}")
    expect(form.get_by_label("Name", exact=True)).to_have_value(f"Growth {tag}")
    expect(form).to_contain_text("EUR")  # shown, not an input: a plan keeps its currency
    expect(form.get_by_label("Term length (months)")).to_have_value("12")
    expect(form.get_by_label("Payment terms")).to_have_value("net_30")
    first, second = _item(admin, 1), _item(admin, 2)
    expect(first.get_by_label("Product")).to_have_value(platform["id"])
    expect(first.get_by_label("Amount")).to_have_value("99.00")
    expect(second.get_by_label("Price type")).to_have_value("tiered")
    expect(second.get_by_label("Metric (metered prices)")).to_have_value(metric["id"])
    expect(second.get_by_label("Tier 2 from")).to_have_value("1001")
    expect(second.get_by_label("Tier 2 up to")).to_have_value("")
    first.get_by_label("Amount").fill("-1")
    form.get_by_label("Description (optional)").fill("")
    _submit(admin, "Save", 422)
    error_beside(admin, _item(admin, 1).get_by_label("Amount"), "Must not be negative.")
    expect(_item(admin, 2).get_by_label("Tier 1 price per unit")).to_have_value("0.10")  # kept
    _item(admin, 1).get_by_label("Amount").fill("129.00")
    _item(admin, 2).get_by_label("Tier 2 price per unit").fill("0.04")
    admin.get_by_role("button", name="Save", exact=True).click()
    admin.wait_for_url(f"**/catalog/plans/{plan['id']}?done=updated")
    expect(admin.get_by_role("status")).to_have_text("Saved the plan.")
    saved = ok(sandbox_api.get(f"/plans/{plan['id']}"))
    assert (saved["description"], saved["currency"], saved["contract"], saved["billing"]) == (
        None, "EUR", {"period_type": "fixed", "duration_months": 12},
        {"payment_terms": "net_30", "auto_pay_invoices": False})
    assert saved["items"][0]["price"]["fixed_pricing_model"]["price_per_unit"] == "129.00"
    assert [t["price_per_unit"] for t in saved["items"][1]["price"]["tiered_pricing_model"][
        "tiers"]] == ["0.10", "0.04"]
    assert saved["items"][1]["price"]["metric_ids"] == [metric["id"]]


def test_edit_a_plan_keeps_its_currency_options(admin, sandbox_api) -> None:
    tag = _tag()
    platform = _product(sandbox_api, f"Platform {tag}")
    plan = ok(sandbox_api.post("/plans", json={
        "name": f"Global {tag}", "currency": "USD", "items": [
            {"product_id": platform["id"], "price": {
                "type": "fixed", "billing_frequency": "recurring",
                "fixed_pricing_model": {"price_per_unit": "99.00"},
                "currency_options": {
                    "EUR": {"fixed_pricing_model": {"price_per_unit": "90.00"}},
                    "JPY": {"fixed_pricing_model": {"price_per_unit": "15000"}}}}}]}), 201)
    admin.goto(f"/dashboard/catalog/plans/{plan['id']}/edit")
    expect(_item(admin, 1)).to_contain_text("Also priced in EUR, JPY")
    _item(admin, 1).get_by_label("Amount").fill("109.00")
    admin.get_by_role("button", name="Save", exact=True).click()
    admin.wait_for_url(f"**/catalog/plans/{plan['id']}?done=updated")
    price = ok(sandbox_api.get(f"/plans/{plan['id']}"))["items"][0]["price"]
    assert price["fixed_pricing_model"]["price_per_unit"] == "109.00"
    assert price["currency_options"] == {
        "EUR": {"fixed_pricing_model": {"price_per_unit": "90.00", "units": 1, "total": "90.00"}},
        "JPY": {"fixed_pricing_model": {"price_per_unit": "15000", "units": 1, "total": "15000"}}}


def test_edit_a_bundle_and_a_metric(admin, sandbox_api) -> None:
    tag = _tag()
    core = _product(sandbox_api, f"Core {tag}")
    bundle = ok(sandbox_api.post("/bundles", json={"name": f"Starter {tag}", "items": [
        {"product_id": core["id"], "price": {"type": "fixed", "billing_frequency": "recurring",
                                             "fixed_pricing_model": {
                                                 "price_per_unit": "49.00"}}}]}), 201)
    admin.goto(f"/dashboard/catalog/bundles/{bundle['id']}")
    admin.get_by_role("link", name="Edit", exact=True).click()
    admin.get_by_label("Name", exact=True).fill(f"Starter plus {tag}")
    _item(admin, 1).get_by_label("Amount").fill("59.00")
    admin.get_by_role("button", name="Save", exact=True).click()
    admin.wait_for_url(f"**/catalog/bundles/{bundle['id']}?done=updated")
    saved = ok(sandbox_api.get(f"/bundles/{bundle['id']}"))
    assert saved["name"] == f"Starter plus {tag}"
    assert saved["items"][0]["price"]["fixed_pricing_model"]["price_per_unit"] == "59.00"

    metric = ok(sandbox_api.post("/metrics", json={
        "name": f"EU volume {tag}", "event_name": f"payment_{tag}",
        "aggregation": {"method": "sum", "field": "amount"},
        "filter_groups": [{"operator": "and", "filters": [
            {"field": "region", "operator": "in", "value": ["eu", "uk"]}]}]}), 201)
    admin.goto(f"/dashboard/catalog/metrics/{metric['id']}")
    admin.get_by_role("link", name="Edit", exact=True).click()
    expect(admin.get_by_label("Aggregation")).to_have_value("sum")
    expect(admin.get_by_label("Filter 1 value")).to_have_value("eu, uk")
    admin.get_by_label("Property aggregated").fill("")
    _submit(admin, "Save", 422)
    error_beside(admin, admin.get_by_label("Property aggregated"),
                 "Required for the sum aggregation.")
    admin.get_by_label("Property aggregated").fill("net_amount")
    admin.get_by_label("Filter 1 value").fill("eu, uk, ch")
    admin.get_by_label("Filter 2 property").fill("amount")
    admin.get_by_label("Filter 2 operator").select_option(label="greater than")
    admin.get_by_label("Filter 2 value").fill("0")
    admin.get_by_role("button", name="Save", exact=True).click()
    admin.wait_for_url(f"**/catalog/metrics/{metric['id']}?done=updated")
    saved = ok(sandbox_api.get(f"/metrics/{metric['id']}"))
    assert saved["aggregation"] == {"method": "sum", "field": "net_amount"}
    assert saved["filter_groups"] == [{"operator": "and", "filters": [
        {"field": "region", "operator": "in", "value": ["eu", "uk", "ch"]},
        {"field": "amount", "operator": "gt", "value": "0"}]}]
