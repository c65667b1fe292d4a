"""The OpenAPI document states the rules the parsers apply, so that a client generated from it
sends valid requests (issue 18; the schemathesis run of `make fuzz` found each gap): the list
``sort`` format, percentages 0-100, non-negative amounts, ISO 4217 codes, the calendar's 1970-2999
range, and PATCH fields that may be left out but never null. The patterns are checked against
the parsers themselves: what the document admits, the parser takes, and the other way round."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from kassa.api.schemas.common import Day, Instant, Percentage
from kassa.domain.currencies import MINOR_UNITS


@pytest.fixture
def document(api: TestClient) -> dict[str, Any]:
    return api.get("/openapi.json").json()


def _property(document: dict[str, Any], schema: str, name: str) -> dict[str, Any]:
    return document["components"]["schemas"][schema]["properties"][name]


def _non_null(prop: dict[str, Any]) -> dict[str, Any]:
    """The branch of an optional field's schema that is not null."""
    branches = [b for b in prop.get("anyOf", [prop]) if b.get("type") != "null"]
    assert len(branches) == 1, prop
    return branches[0]


def test_patch_fields_that_stay_set_offer_no_null(document, api: TestClient) -> None:
    name = _property(document, "CustomerUpdate", "name")
    assert "anyOf" not in name and name["type"] == "string" and "default" not in name
    email = _property(document, "CustomerUpdate", "email")  # may be cleared: null stays
    assert {"type": "null"} in email["anyOf"]
    aggregation = _property(document, "MetricUpdate", "aggregation")
    assert "null" not in str(aggregation.get("anyOf", ""))
    auto_renew = _property(document, "SubscriptionSettingsUpdate", "auto_renew")
    assert auto_renew["type"] == "boolean"
    # and the parser still says why, naming the field
    customer = api.post("/customers", json={"name": "Acme"}).json()
    r = api.patch(f"/customers/{customer['id']}", json={"name": None})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "name", "message": "cannot be null"}]


def test_currencies_are_the_iso_4217_codes(document) -> None:
    currency = _non_null(_property(document, "CustomerCreate", "currency"))
    assert currency["enum"] == sorted(MINOR_UNITS)
    assert "USD" in currency["enum"] and "JPY" in currency["enum"]
    assert "AAA" not in currency["enum"]


def test_percentages_and_amounts_state_their_range(document) -> None:
    tax_rate = _property(document, "CustomerCreate", "tax_rate")
    pattern = _non_null(tax_rate)["pattern"]
    assert re.fullmatch(pattern, "100") and re.fullmatch(pattern, "7.5")
    assert not re.fullmatch(pattern, "100.01") and not re.fullmatch(pattern, "-1")


def test_the_sort_parameter_states_its_format(document) -> None:
    parameters = document["paths"]["/customers"]["get"]["parameters"]
    sort = next(p for p in parameters if p["name"] == "sort")
    pattern = _non_null(sort["schema"])["pattern"]
    assert re.fullmatch(pattern, "created_at:desc") and re.fullmatch(pattern, "name")
    assert not re.fullmatch(pattern, "") and not re.fullmatch(pattern, "name:up")


def _documented(annotation: Any) -> str:
    return TypeAdapter(annotation).json_schema()["pattern"]


def _accepts(annotation: Any, value: str) -> bool:
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError:
        return False
    return True


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_every_documented_day_parses(data) -> None:
    text = data.draw(st.from_regex(_documented(Day), fullmatch=True))
    real_day = not re.search(r"-(02-3[01]|(04|06|09|11)-31)$", text) and not (
        text.endswith("-02-29") and not _leap(int(text[:4]))
    )
    assert _accepts(Day, text) == real_day, text


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=__import__("datetime").date(1900, 1, 1),
                max_value=__import__("datetime").date(3100, 12, 31)))
def test_the_day_pattern_admits_exactly_the_calendar_range(day) -> None:
    text = day.isoformat()
    assert bool(re.fullmatch(_documented(Day), text)) == _accepts(Day, text), text


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_documented_instants_parse_unless_the_offset_leaves_the_range(data) -> None:
    text = data.draw(st.from_regex(_documented(Instant), fullmatch=True))
    if not re.search(r"-(02-(29|3[01])|(04|06|09|11)-31)[Tt]", text) and text[:4] not in {"1970", "2999"}:
        assert _accepts(Instant, text), text


@settings(max_examples=100, deadline=None)
@given(st.decimals(min_value=-50, max_value=150, places=3, allow_nan=False))
def test_the_percentage_pattern_is_the_parser(number: Decimal) -> None:
    text = format(number, "f")
    pattern = TypeAdapter(Percentage).json_schema()["pattern"]
    assert bool(re.fullmatch(pattern, text)) == _accepts(Percentage, text), text
