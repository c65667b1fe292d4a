"""Home: the headline figures, this month's MRR movements and the revenue chart, over
tests/scenarios/mrr_story.py (the same figures GET /reports/mrr gives, tests/api/test_reports.py),
in the sandbox at its clock's now; production shows none of it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.scenarios import seed_catalog as sc
from tests.scenarios.mrr_story import story, subscribe
from tests.scenarios.seed_catalog import ok
from tests.web.conftest import nav, sign_in

pytestmark = pytest.mark.both_backends  # its pages run SQL of their own


@pytest.fixture(scope="module")
def server(own_server):
    return own_server  # the story moves the sandbox clock and leaves live subscriptions


@pytest.fixture(scope="module")
def told(server):
    """The story, and in April (now: 2026-04-15) one more USD subscription of 50.00."""
    import httpx

    from tests.conftest import API_VERSION_HEADERS

    with httpx.Client(base_url=server.url, timeout=60, headers={
            **API_VERSION_HEADERS, "Authorization": f"Bearer {server.key('sandbox')}"}) as api:
        story(api)
        subscribe(api, "AcBigCo12", "USD", sc.fixed("50.00", "advance"), start="2026-04-15")
        return ok(api.get("/reports/mrr", params={"from": "2026-04-01", "to": "2026-04-30"}))


def figure(page, currency: str, name: str):
    """The value of the headline figure ``name`` in ``currency``'s card."""
    card = page.get_by_role("region", name=currency, exact=True)
    return card.locator("dt", has_text=name).locator("xpath=following-sibling::dd[1]")


def test_home_shows_the_figures_of_the_report(server, told, page) -> None:
    sign_in(page, server.user("viewer"))
    expect(page.get_by_text("Figures as of 2026-04-15 00:00 UTC (the sandbox clock)")).to_be_visible()
    april = {f["currency"]: f for f in told["data"][0]["currencies"]}
    assert april["USD"]["mrr"] == "250.00" and april["USD"]["new_mrr"] == "50.00"
    for currency, mrr, arr, active, outstanding, overdue in [
        ("USD", "250.00", "3000.00", "2", "1446.80", "1284.01"),
        ("EUR", "80.00", "960.00", "1", "240.00", "240.00"),
    ]:
        expect(figure(page, currency, "MRR")).to_have_text(f"{mrr} {currency}")
        expect(figure(page, currency, "ARR")).to_have_text(f"{arr} {currency}")
        expect(figure(page, currency, "Active subscriptions")).to_have_text(active)
        expect(figure(page, currency, "Outstanding")).to_have_text(f"{outstanding} {currency}")
        expect(figure(page, currency, "Overdue")).to_have_text(f"{overdue} {currency}")
        assert april[currency]["mrr"] == mrr and april[currency]["arr"] == arr
    movements = page.get_by_role("region", name="MRR movements, 2026-04 so far").get_by_role("table")
    assert movements.locator("tbody tr").all_inner_texts() == [
        "EUR\t0.00\t0.00\t0.00\t0.00", "USD\t50.00\t0.00\t0.00\t0.00"]

    revenue = page.get_by_role("region", name="Revenue per month, USD")
    chart = revenue.get_by_role("img", name="Revenue per month, USD")
    expect(chart.locator("rect.bar")).to_have_count(12)
    titles = chart.locator("rect.bar title").all_text_contents()
    assert titles[0] == "2025-05: 0.00" and titles[-4:] == [
        "2026-01: 400.00", "2026-02: 434.01", "2026-03: 450.00", "2026-04: 250.00"]
    assert chart.locator("text.axis").all_text_contents()[-4:] == ["Jan", "Feb", "Mar", "Apr"]
    revenue.get_by_text("Revenue by month (USD)").click()
    rows = revenue.get_by_role("table").locator("tbody tr").all_inner_texts()
    assert rows[-2:] == ["2026-03\t450.00", "2026-04\t250.00"] and len(rows) == 12
    # Outstanding opens the open invoices.
    figure(page, "USD", "Outstanding").get_by_role("link").click()
    page.wait_for_url("**/dashboard/invoices?status=issued,payment_failed,overdue")


def test_home_adds_the_currencies_up_in_the_settlement_currency(server, told, page,
                                                                sandbox_api) -> None:
    sign_in(page, server.user("viewer"))
    region = page.get_by_role("region", name="All currencies in USD")
    expect(region).to_contain_text("No rate to USD for EUR: left out.")
    expect(figure(page, "All currencies in USD", "MRR")).to_have_text("250.00 USD")
    assert sandbox_api.post("/fx-rates", json={"base": "EUR", "quote": "USD", "rate": "1.25",
                                               "valid_from": "2026-04-01"}).status_code == 201
    page.reload()
    expect(figure(page, "All currencies in USD", "MRR")).to_have_text("350.00 USD")  # 80 × 1.25
    expect(region).to_contain_text("1 EUR = 1.25 USD (2026-04-01)")


def test_production_has_nothing_to_report(server, told, page) -> None:
    sign_in(page, server.user("admin"))
    page.get_by_role("button", name="Production").click()
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_text("Nothing to report yet: the production environment has no live "
                            "subscription and no issued invoice.")).to_be_visible()
    expect(page.get_by_role("region", name="USD", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Sandbox").click()
    page.wait_for_url("**/dashboard/")
    nav(page, "Home").click()
    expect(figure(page, "USD", "MRR")).to_have_text("250.00 USD")
