"""Products and billable metrics through HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

SEED_METRIC = "mtr_032wMej82trlC5RulBsDJY"


def _errors(r) -> list[tuple[str, str]]:
    return [(e["field"], e["message"]) for e in r.json()["errors"]]


def _metric(api: TestClient, **overrides) -> dict:
    body = {
        "name": "API calls",
        "event_name": "api_call",
        "aggregation": {"method": "count"},
        **overrides,
    }
    r = api.post("/metrics", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_metric_lifecycle(api: TestClient) -> None:
    metric = _metric(
        api,
        id=SEED_METRIC,
        aggregation={"method": "sum", "field": "bytes"},
        filter_groups=[
            {
                "operator": "or",
                "filters": [
                    {"field": "region", "operator": "in", "value": ["eu", "us"]},
                    {"field": "size", "operator": "gte", "value": 10},
                ],
            }
        ],
    )
    assert metric["id"] == SEED_METRIC
    assert metric["aggregation"] == {"method": "sum", "field": "bytes"}
    assert metric["filter_groups"][0]["filters"][1] == {
        "field": "size",
        "operator": "gte",
        "value": "10",
    }
    assert api.get(f"/metrics/{SEED_METRIC}").json() == metric
    r = api.patch(f"/metrics/{SEED_METRIC}", json={"name": "Bytes", "aggregation": {"method": "max", "field": "bytes"}})
    assert r.json()["name"] == "Bytes" and r.json()["aggregation"]["method"] == "max"
    assert api.get("/metrics?event_name=api_call").json()["pagination"]["total"] == 1
    assert api.delete(f"/metrics/{SEED_METRIC}").json()["archived_at"] is not None
    assert api.get("/metrics").json()["data"] == []


def test_generated_metric_ids_are_prefixed(api: TestClient) -> None:
    metric = _metric(api)
    assert metric["id"].startswith("mtr_") and len(metric["id"]) == 4 + 22


def test_metric_validation(api: TestClient) -> None:
    base = {"name": "m", "event_name": "e"}
    cases = [
        ({"aggregation": {"method": "sum"}}, [("aggregation.field", "required for the sum aggregation")]),
        (
            {"aggregation": {"method": "count", "field": "x"}},
            [("aggregation.field", "count counts events and takes no field")],
        ),
        (
            {"aggregation": {"method": "median", "field": "x"}},
            [
                (
                    "aggregation.method",
                    "Input should be 'count', 'count_unique', 'sum', 'min', 'max', 'average' or 'latest'",
                )
            ],
        ),
        (
            {
                "aggregation": {"method": "count"},
                "filter_groups": [
                    {"filters": [{"field": "a", "operator": "in", "value": "x"}]},
                    {"filters": [{"field": "b", "operator": "gt", "value": "abc"}]},
                ],
            },
            [
                ("filter_groups[0].filters[0].value", "the in operator takes a list of values"),
                ("filter_groups[1].filters[0].value", "the gt operator compares numbers"),
            ],
        ),
        (
            {
                "aggregation": {"method": "count"},
                "filter_groups": [{"filters": [{"field": "b", "operator": "gt", "value": "abc"}]}],
            },
            [("filter_groups[0].filters[0].value", "the gt operator compares numbers")],
        ),
        (
            {
                "aggregation": {"method": "count"},
                "filter_groups": [{"operator": "xor", "filters": []}],
            },
            [
                ("filter_groups[0].operator", "Input should be 'and' or 'or'"),
                ("filter_groups[0].filters", "List should have at least 1 item after validation, not 0"),
            ],
        ),
        ({"aggregation": {"method": "count"}, "id": "prod_x"}, [("id", "must start with 'mtr_'")]),
    ]
    for extra, expected in cases:
        r = api.post("/metrics", json={**base, **extra})
        assert r.status_code == 422, extra
        assert _errors(r) == expected, extra


def test_product_lifecycle(api: TestClient) -> None:
    _metric(api, id=SEED_METRIC)
    r = api.post(
        "/products",
        json={
            "id": "prod_04ab8Nej82trlC5RulBsDJY",
            "name": "API usage",
            "fee_type": "metered",
            "metric_ids": [SEED_METRIC],
            "unit_label_singular": "call",
            "unit_label_plural": "calls",
        },
    )
    assert r.status_code == 201, r.text
    product = r.json()
    assert product["payment_terms"] == "arrears"
    assert product["billing_frequency"] is None
    assert product["metric_ids"] == [SEED_METRIC]

    platform = api.post(
        "/products",
        json={"name": "Platform fee", "fee_type": "fixed", "billing_frequency": "recurring", "sku": "PLAT-1"},
    ).json()
    assert platform["id"].startswith("prod_") and platform["payment_terms"] == "advance"

    r = api.patch(f"/products/{platform['id']}", json={"payment_terms": "arrears", "metadata": {"gl": "4000"}})
    assert r.json()["payment_terms"] == "arrears" and r.json()["metadata"] == {"gl": "4000"}
    assert api.get("/products?fee_type=fixed").json()["data"][0]["id"] == platform["id"]
    assert api.get("/products?sort=name:asc").json()["data"][0]["name"] == "API usage"
    assert api.delete(f"/products/{platform['id']}").status_code == 200
    assert [p["id"] for p in api.get("/products").json()["data"]] == [product["id"]]


def test_product_validation(api: TestClient) -> None:
    r = api.post("/products", json={"name": "Usage", "fee_type": "metered"})
    assert _errors(r) == [("metric_ids", "A metered product needs at least one metric.")]
    r = api.post("/products", json={"name": "Fee", "fee_type": "fixed"})
    assert _errors(r) == [
        ("billing_frequency", "A fixed-fee product needs billing_frequency (recurring or one-off).")
    ]
    r = api.post(
        "/products", json={"name": "Usage", "fee_type": "metered", "metric_ids": ["mtr_missing"]}
    )
    assert r.status_code == 422
    assert _errors(r) == [
        ("metric_ids[0]", "Metric 'mtr_missing' does not exist; create it with POST /metrics first.")
    ]
    r = api.post("/products", json={"name": "Fee", "fee_type": "subscription"})
    assert _errors(r) == [("fee_type", "Input should be 'fixed' or 'metered'")]
    assert api.get("/products/prod_nope").status_code == 404


def test_product_search_matches_name_or_sku_in_any_case_or_the_id(api: TestClient) -> None:
    def product(name: str, sku: str | None = None) -> dict:
        r = api.post("/products", json={"name": name, "sku": sku, "fee_type": "fixed",
                                        "billing_frequency": "recurring"})
        assert r.status_code == 201, r.text
        return r.json()

    platform = product("Platform Fee", "PLAT-1")
    product("Premium Support", "SUP-2")
    product("Onboarding")

    def found(query: str) -> list[str]:
        answer = api.get("/products", params={"search": query, "sort": "name:asc"})
        assert answer.status_code == 200, answer.text
        return [p["name"] for p in answer.json()["data"]]

    assert found("PLATFORM") == ["Platform Fee"]
    assert found("sup-") == ["Premium Support"]  # the SKU
    assert found(platform["id"]) == ["Platform Fee"]
    assert found("onboard,plat") == ["Onboarding", "Platform Fee"]
    assert found("%") == []
