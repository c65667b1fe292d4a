"""The pure pieces of the dashboard's pages: refusals put beside the form inputs they name, and
the geometry of the server-drawn bar chart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kassa.api.errors import FieldErrors
from kassa.api.schemas.customers import CustomerUpdate
from kassa.domain.errors import InvalidRequest, InvalidTransition
from kassa.web.charts import daily_bars
from kassa.web.forms import FORM, field_errors, parsed

INPUTS = {"currency": "currency", "tags": "tags", "contract.start_date": "start_date",
          "contract": "term"}


def test_a_schema_refusal_names_each_input() -> None:
    with pytest.raises(FieldErrors) as refused:
        parsed(CustomerUpdate, {"currency": "EURO", "tags": ["ok", ""]})
    assert field_errors(refused.value, INPUTS) == {
        "currency": "'EURO' is not an ISO 4217 currency code.",
        "tags": "String should have at least 1 character.",  # tags[1], shown beside tags
    }
    assert parsed(CustomerUpdate, {"currency": "eur"}).currency == "EUR"


def test_a_service_refusal_goes_beside_its_field_or_above_the_form() -> None:
    assert field_errors(InvalidRequest("Too early.", field="contract.start_date"), INPUTS) == {
        "start_date": "Too early."}
    assert field_errors(InvalidRequest("needs a length", field="contract.duration_months"),
                        INPUTS) == {"term": "Needs a length."}  # by the longest prefix
    assert field_errors(InvalidTransition("Cannot pause it: it is canceled."), INPUTS) == {
        FORM: "Cannot pause it: it is canceled."}
    assert field_errors(InvalidRequest("No.", field="elsewhere"), INPUTS) == {FORM: "No."}


def test_bars_scale_to_the_largest_value() -> None:
    series = [{"date": "2026-06-01", "value": "4"}, {"date": "2026-06-02", "value": "0"},
              {"date": "2026-06-03", "value": "2.5"}, {"date": "2026-06-04", "value": "1"}]
    chart = daily_bars(series, "Daily API calls")
    # The plot is 720 - 56 - 8 = 656 wide and 200 - 12 - 28 = 160 high; 4 days of 164 each.
    assert [(b.label, b.value, b.x, b.y, b.width, b.height) for b in chart.bars] == [
        ("2026-06-01", "4", Decimal("80.6"), Decimal("12.0"), Decimal("114.8"), Decimal("160.0")),
        ("2026-06-02", "0", Decimal("244.6"), Decimal("172.0"), Decimal("114.8"), Decimal("0.0")),
        ("2026-06-03", "2.5", Decimal("408.6"), Decimal("72.0"), Decimal("114.8"),
         Decimal("100.0")),
        ("2026-06-04", "1", Decimal("572.6"), Decimal("132.0"), Decimal("114.8"), Decimal("40.0")),
    ]
    assert [(t.text, t.at) for t in chart.values] == [
        ("0", Decimal("172.0")), ("2", Decimal("92.0")), ("4", Decimal("12.0"))]
    assert [t.text for t in chart.days] == ["06-01", "06-02", "06-03", "06-04"]


def test_a_month_of_nothing_still_draws() -> None:
    series = [{"date": f"2026-06-{d:02d}", "value": "0"} for d in range(1, 31)]
    chart = daily_bars(series, "Daily API calls")
    assert {b.height for b in chart.bars} == {Decimal("0.0")}
    assert [t.text for t in chart.days] == ["06-01", "06-06", "06-11", "06-16", "06-21", "06-26"]
    assert [t.text for t in chart.values] == ["0", "0.5", "1"]


def test_a_field_sent_several_times_reads_as_all_its_values() -> None:
    import asyncio

    from starlette.requests import Request

    from kassa.web.forms import read_form

    body = b"event_types=invoice.paid&url=https%3A%2F%2Fx.example&event_types=payment.failed"

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request({"type": "http", "method": "POST", "headers": [
        (b"content-type", b"application/x-www-form-urlencoded")]}, receive)
    form = asyncio.run(read_form(request))
    assert form.all("event_types") == ["invoice.paid", "payment.failed"]
    assert form.get("event_types") == "payment.failed"  # one value: the last, as before
    assert form.all("url") == ["https://x.example"] and form.get("url") == "https://x.example"
    assert form.all("missing") == [] and form.get("missing") == ""
