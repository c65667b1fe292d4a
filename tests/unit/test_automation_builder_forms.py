"""The guided builder's form mapping (kassa.web.dashboard.builder_forms): condition rows to the
``conditions`` POST /automations takes, Values as typed, steps placed in a condition's then
branch and removed, refusals with the API parser's messages by input."""

from __future__ import annotations

import pytest

from kassa.web.dashboard import builder_forms as bf
from kassa.web.dashboard.builder_forms import FormInvalid
from kassa.web.forms import Form


def row(field: str, operator: str, value: str) -> dict[str, str]:
    return {"field": field, "operator": operator, "value": value}


def test_rows_joined_by_and_or_or() -> None:
    rows = [row("invoice.amount", "greater_than", "1000"),
            row("customer.segment", "equals", "enterprise"), row("", "equals", "")]
    assert bf.read_conditions(rows, "and") == {"and": [
        {"field": "invoice.amount", "operator": "greater_than", "value": 1000},
        {"field": "customer.segment", "operator": "equals", "value": "enterprise"}]}
    assert bf.read_conditions(rows, "or")["or"][1]["value"] == "enterprise"
    assert bf.read_conditions(rows[:1], "and") == {
        "field": "invoice.amount", "operator": "greater_than", "value": 1000}
    assert bf.read_conditions([row("", "equals", "")], "and") is None
    assert bf.rows_of(bf.read_conditions(rows, "or")) == (
        [rows[0], rows[1]], "or")


@pytest.mark.parametrize(("text", "operator", "value"), [
    ("1000", "equals", 1000), ('"1000"', "equals", "1000"), ("true", "equals", True),
    ("null", "equals", None), ("gold, silver", "in", ["gold", "silver"]),
    ("enterprise", "contains", "enterprise")])
def test_values_as_typed(text: str, operator: str, value: object) -> None:
    assert bf.rule_value(text, operator) == value


def test_refusals_name_the_rows_input() -> None:
    with pytest.raises(FormInvalid) as refused:
        bf.read_conditions([row("invoice.amount", "less_than", "cheap")], "and")
    assert refused.value.errors == {"value-0": "Less than compares with a number, such as 1000."}
    with pytest.raises(FormInvalid) as refused:
        bf.read_conditions([row("invoice.amount", "equals", "1"), row("a b", "equals", "2")],
                           "and")
    assert refused.value.errors == {
        "field-1": "'a b' is not a dotted path such as invoice.amount."}


def test_steps_go_into_the_condition_they_follow_and_come_out_again() -> None:
    draft = bf.load_draft('{"name": "x"}')
    place = bf.add_step(draft, bf.TOP, {"type": "delay", "duration": "3d"})
    assert place == bf.TOP
    place = bf.add_step(draft, place, {"type": "condition", "if": "{{invoice.status}} == 'x'"})
    assert place == "steps[1].then"
    assert bf.add_step(draft, place, {"type": "action", "action": "retry_payment"}) == place
    assert [(e["number"], e["path"]) for e in bf.listed(draft)] == [
        ("1", "steps[0]"), ("2", "steps[1]"), ("2.1", "steps[1].then[0]")]
    assert [p for p, _ in bf.places(draft)] == ["steps", "steps[1].then"]
    bf.remove_step(draft, "steps[1].then[0]")
    assert draft["steps"][1]["then"] == []
    bf.remove_step(draft, "steps[0]")
    assert [s["type"] for s in draft["steps"]] == ["condition"]
    assert bf.add_step(draft, "steps[9].then", {"type": "stop"}) == bf.TOP  # gone: the top


def test_a_step_is_checked_by_the_api_parser() -> None:
    assert bf.read_step("send_email", Form({"template": "payment_failed_gentle"})) == {
        "type": "action", "action": "send_email", "template": "payment_failed_gentle",
        "to": "{{trigger.customer.email}}"}
    with pytest.raises(FormInvalid) as refused:
        bf.read_step("condition", Form({"if": "{{invoice.status == "}))
    assert list(refused.value.errors) == ["if"]
    with pytest.raises(FormInvalid) as refused:
        bf.read_step("send_sms", Form({"to": "+15550100"}))
    assert refused.value.errors == {"message": "A non-empty text is needed."}


def test_a_mangled_draft_starts_again() -> None:
    assert bf.load_draft("[1, 2") == {"steps": []}
    assert bf.load_draft('"text"') == {"steps": []}


def test_the_trigger_of_step_two() -> None:
    form = {"name": "Renewal", "trigger_type": "event", "event": "subscription.ending_soon",
            "days": "30", "interval": "ignored"}
    draft = bf.read_trigger(Form(form), {"steps": []})
    assert draft["trigger"] == {"type": "event", "event": "subscription.ending_soon", "days": 30}
    with pytest.raises(FormInvalid) as refused:
        bf.read_trigger(Form(form | {"days": "soon"}), {"steps": []})
    assert refused.value.errors == {"days": "Days is a whole number from 1 to 3650."}
    weekly = {"name": "Weekly", "trigger_type": "schedule", "schedule": "cron",
              "cron": "0 9 * * 1", "timezone": "Europe/Berlin"}
    assert bf.read_trigger(Form(weekly), {"steps": []})["trigger"] == {
        "type": "schedule", "cron": "0 9 * * 1", "timezone": "Europe/Berlin"}
    with pytest.raises(FormInvalid) as refused:
        bf.read_trigger(Form(weekly | {"cron": "every monday"}), {"steps": []})
    assert list(refused.value.errors) == ["cron"]
    assert bf.trigger_values(bf.read_trigger(Form(weekly), {"steps": []}))["schedule"] == "cron"
