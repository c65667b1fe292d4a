"""GET /reports/mrr over tests/scenarios/mrr_story.py (activations, a plan change up, one down,
a cancellation, a second currency), every month's figures asserted exactly; bad inputs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.scenarios.mrr_story import story
from tests.scenarios.seed_catalog import ok


def report(api: TestClient, **params: str) -> dict:
    return ok(api.get("/reports/mrr", params={"interval": "month", **params}))


def figures(body: dict) -> dict[str, dict[str, tuple]]:
    """{month: {currency: (mrr, arr, active, revenue, new, expansion, contraction, churned)}}"""
    names = ("mrr", "arr", "active_subscriptions", "revenue", "new_mrr", "expansion_mrr",
             "contraction_mrr", "churned_mrr")
    return {m["month"]: {f["currency"]: tuple(f[n] for n in names) for f in m["currencies"]}
            for m in body["data"]}


EUR_ZERO = ("0.00", "0.00", 0, "0.00", "0.00", "0.00", "0.00", "0.00")


def test_every_month_of_the_story(api: TestClient) -> None:
    story(api)
    body = report(api, **{"from": "2026-01-01", "to": "2026-04-30"})
    assert figures(body) == {
        "2026-01": {"EUR": EUR_ZERO,
                    "USD": ("400.00", "4800.00", 2, "400.00", "400.00", "0.00", "0.00", "0.00")},
        # A's upgrade bills 19 of 28 days at once: 19 x 5.36 - 19 x 3.57 = 34.01.
        "2026-02": {"EUR": ("80.00", "960.00", 1, "240.00", "80.00", "0.00", "0.00", "0.00"),
                    "USD": ("450.00", "5400.00", 2, "434.01", "0.00", "50.00", "0.00", "0.00")},
        # B's downgrade is a credit (to B's balance, not an invoice); A's end bills nothing more.
        "2026-03": {"EUR": ("80.00", "960.00", 1, "0.00", "0.00", "0.00", "0.00", "0.00"),
                    "USD": ("200.00", "2400.00", 1, "450.00", "0.00", "0.00", "100.00", "150.00")},
        "2026-04": {"EUR": ("80.00", "960.00", 1, "0.00", "0.00", "0.00", "0.00", "0.00"),
                    "USD": ("200.00", "2400.00", 1, "200.00", "0.00", "0.00", "0.00", "0.00")},
    }
    assert [(m["start"], m["end"], m["as_of"], m["active_subscriptions"]) for m in body["data"]] == [
        ("2026-01-01", "2026-01-31", "2026-02-01T00:00:00Z", 2),
        ("2026-02-01", "2026-02-28", "2026-03-01T00:00:00Z", 3),
        ("2026-03-01", "2026-03-31", "2026-04-01T00:00:00Z", 2),
        ("2026-04-01", "2026-04-30", "2026-04-15T00:00:00Z", 2),  # the current month: now
    ]
    assert (body["interval"], body["from"], body["to"]) == ("month", "2026-01-01", "2026-04-30")
    # Open now: every invoice; B's April one (200.00 less the 87.21 credit of its downgrade) is
    # not due before May 1.
    assert body["balances"] == [
        {"currency": "EUR", "outstanding": "240.00", "overdue": "240.00"},
        {"currency": "USD", "outstanding": "1396.80", "overdue": "1284.01"},
    ]
    assert body["balances_as_of"] == "2026-04-15T00:00:00Z"


def test_a_range_ending_earlier_counts_the_invoices_issued_by_then(api: TestClient) -> None:
    story(api)
    body = report(api, **{"from": "2026-02-14", "to": "2026-02-20"})
    assert list(figures(body)) == ["2026-02"]
    assert figures(body)["2026-02"]["USD"][0] == "450.00"
    assert body["balances"] == [
        {"currency": "EUR", "outstanding": "240.00", "overdue": "240.00"},
        {"currency": "USD", "outstanding": "834.01", "overdue": "834.01"},
    ]


def test_months_after_now_are_not_reported(api: TestClient) -> None:
    story(api)
    body = report(api, **{"from": "2026-03-01", "to": "2027-12-31"})
    assert list(figures(body)) == ["2026-03", "2026-04"]


def test_production_sees_none_of_the_sandbox(api: TestClient, prod_api: TestClient) -> None:
    story(api)
    body = report(prod_api, **{"from": "2026-01-01", "to": "2026-01-31"})
    assert body["data"][0]["currencies"] == [] and body["balances"] == []
    assert body["data"][0]["active_subscriptions"] == 0


def test_an_empty_sandbox_reports_zero_months(api: TestClient) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-05-20T08:00:00Z"}))
    body = report(api, **{"from": "2026-04-01", "to": "2026-05-31"})
    assert [(m["month"], m["active_subscriptions"], m["currencies"]) for m in body["data"]] == [
        ("2026-04", 0, []), ("2026-05", 0, [])]


@pytest.mark.parametrize(("params", "field", "detail"), [
    ({"to": "2026-01-31"}, "from", None),
    ({"from": "2026-01-01"}, "to", None),
    ({"from": "2026-13-01", "to": "2026-12-31"}, "from", None),
    ({"from": "2026-01-01", "to": "yesterday"}, "to", None),
    ({"from": "2026-01-01", "to": "2026-03-31", "interval": "week"}, "interval",
     "interval can only be month."),
    ({"from": "2026-03-01", "to": "2026-01-31"}, "to", "to must be on or after from."),
    ({"from": "2022-01-01", "to": "2026-01-31"}, "to", "A report covers at most 36 months."),
    ({"from": "2026-07-01", "to": "2026-08-31"}, "from",
     "from is after the current month: there is nothing to report yet."),
    ({"from": "1969-12-01", "to": "2026-01-31"}, "from", None),
])
def test_bad_inputs_name_their_field(api: TestClient, params: dict, field: str,
                                     detail: str | None) -> None:
    ok(api.post("/clock/freeze", json={"at": "2026-05-20T08:00:00Z"}))
    r = api.get("/reports/mrr", params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["status"] == 422
    assert [e["field"] for e in body["errors"]] == [field]
    if detail is not None:
        assert body["detail"] == detail


def test_an_api_key_is_required(anon: TestClient) -> None:
    r = anon.get("/reports/mrr", params={"from": "2026-01-01", "to": "2026-01-31"})
    assert r.status_code == 401 and r.json()["status"] == 401
