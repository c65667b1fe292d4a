"""Conditions: the document's three forms, text rules, every operator, evaluated purely."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from kassa.domain.automations.comparison import compare
from kassa.domain.automations.conditions import (
    AllOf,
    AnyOf,
    Expression,
    Rule,
    condition_to_data,
    evaluate,
    parse_condition,
    resolve,
)
from kassa.domain.errors import InvalidRequest

CONTEXT = {
    "invoice": {"amount": Decimal("1500.00"), "status": "unpaid", "dueDate": "2024-01-20",
                "tags": ["vip", "eu"], "customer": {"email": "ada@example.com"}},
    "customer": {"segment": "enterprise", "createdAt": datetime(2023, 5, 1, tzinfo=timezone.utc),
                 "name": "Ada Lovelace", "metadata": {"tier": "gold"}},
    "trigger": {"failureCount": 1},
}


def test_the_documents_text_rule_as_written():
    text = 'IF invoice.amount > 1000\nAND customer.segment = "enterprise"\nTHEN continue\nELSE skip'
    condition = parse_condition(text, "conditions")
    assert condition == AllOf((Rule("invoice.amount", "greater_than", 1000),
                               Rule("customer.segment", "equals", "enterprise")))
    assert evaluate(condition, CONTEXT)
    assert not evaluate(condition, {**CONTEXT, "customer": {"segment": "smb"}})


def test_and_binds_tighter_than_or_and_parentheses_group():
    loose = parse_condition("a = 1 OR b = 2 AND c = 3", "c")
    assert loose == AnyOf((Rule("a", "equals", 1),
                           AllOf((Rule("b", "equals", 2), Rule("c", "equals", 3)))))
    grouped = parse_condition("(a = 1 or b = 2) and c = 3", "c")
    assert grouped == AllOf((AnyOf((Rule("a", "equals", 1), Rule("b", "equals", 2))),
                             Rule("c", "equals", 3)))
    assert evaluate(loose, {"a": 1}) and not evaluate(grouped, {"a": 1})


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("invoice.amount >= 1500.00", Rule("invoice.amount", "greater_than_or_equal",
                                           Decimal("1500.00"))),
        ("invoice.amount < -1", Rule("invoice.amount", "less_than", -1)),
        ("invoice.amount <= 2", Rule("invoice.amount", "less_than_or_equal", 2)),
        ("a == 'x'", Rule("a", "equals", "x")),
        ('a != "say \\"hi\\""', Rule("a", "not_equals", 'say "hi"')),
        ("invoice.tags contains 'vip'", Rule("invoice.tags", "contains", "vip")),
        ("customer.segment in ['smb', \"enterprise\"]",
         Rule("customer.segment", "in", ("smb", "enterprise"))),
        ("customer.segment IN 'enterprise, smb'", Rule("customer.segment", "in",
                                                       "enterprise, smb")),
        ("paid = true", Rule("paid", "equals", True)),
        ("note = null", Rule("note", "equals", None)),
    ],
)
def test_text_rule_operators_and_values(text, rule):
    assert parse_condition(text, "c") == rule


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "empty"),
        ("invoice.amount >", "ends too early"),
        ("invoice.amount ~ 3", "cannot read"),
        ("invoice.amount about 3", "unknown operator"),
        ("invoice.amount > 3 AND", "ends too early"),
        ("(a = 1", "')' is missing"),
        ("a = 1 b = 2", "unexpected"),
        ("a = b", "expected a value"),
        ("a in [1 2]", "']' is missing"),
        ("1 = a", "expected a field"),
    ],
)
def test_bad_text_rules_name_the_field(text, detail):
    with pytest.raises(InvalidRequest) as error:
        parse_condition(text, "steps[2].if")
    assert error.value.field == "steps[2].if"
    assert detail in error.value.detail


def test_structured_rules_and_combinators():
    data = {"or": [
        {"field": "invoice.amount", "operator": "greater_than", "value": 1000.5},
        {"and": [{"field": "{{ customer.segment }}", "operator": "not equals", "value": "smb"},
                 {"if": "{{trigger.failureCount}} == 1"}]},
    ]}
    condition = parse_condition(data, "conditions")
    assert condition == AnyOf((
        Rule("invoice.amount", "greater_than", Decimal("1000.5")),
        AllOf((Rule("customer.segment", "not_equals", "smb"),
               Expression("{{trigger.failureCount}} == 1"))),
    ))
    assert condition_to_data(condition) == {"or": [
        {"field": "invoice.amount", "operator": "greater_than", "value": Decimal("1000.5")},
        {"and": [{"field": "customer.segment", "operator": "not_equals", "value": "smb"},
                 {"if": "{{trigger.failureCount}} == 1"}]},
    ]}
    assert parse_condition(condition_to_data(condition), "c") == condition
    assert parse_condition([data["or"][0]], "c") == AllOf((condition.conditions[0],))
    seen = []
    assert evaluate(condition, CONTEXT, expression=lambda text, context: seen.append(text) or 1)
    assert seen == []  # the first rule holds: or stops there


def test_an_expression_needs_an_evaluator():
    with pytest.raises(TypeError):
        evaluate(Expression("{{a}}"), {})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (5, "c"),
        ({"and": []}, "c.and"),
        ({"and": {"field": "a"}}, "c.and"),
        ({"and": [1], "or": [1]}, "c.or"),
        ({"if": "{{a}}", "then": []}, "c.then"),
        ({"field": "a", "operator": "equals"}, "c.value"),
        ({"operator": "equals", "value": 1}, "c.field"),
        ({"field": "a b", "operator": "equals", "value": 1}, "c.field"),
        ({"field": "a", "operator": "like", "value": 1}, "c.operator"),
        ({"field": "a", "operator": "in", "value": 1}, "c.value"),
        ({"field": "a", "operator": "equals", "value": {"x": 1}}, "c.value"),
        ({"field": "a", "operator": "in", "value": [1, {"x": 1}]}, "c.value[1]"),
        ({"or": [{"field": "a", "operator": "=", "value": 1}, {"nope": 1}]}, "c.or[1].nope"),
        ("{{" + "a" * 2000 + "}}", "c"),
    ],
)
def test_bad_structured_conditions_name_the_field(data, field):
    with pytest.raises(InvalidRequest) as error:
        parse_condition(data, "c")
    assert error.value.field == field


@pytest.mark.parametrize(
    ("operator", "actual", "expected", "holds"),
    [
        ("equals", Decimal("1500.00"), 1500, True),
        ("equals", Decimal("1500.00"), "1500", True),
        ("equals", 1, True, False),  # booleans are not numbers
        ("equals", "enterprise", "Enterprise", False),
        ("equals", None, None, True),
        ("not_equals", None, "x", True),
        ("greater_than", Decimal("1500.00"), 1000, True),
        ("greater_than", "1500", Decimal("999.99"), True),
        ("greater_than", None, 0, False),  # a missing value orders with nothing
        ("less_than", None, 0, False),
        ("greater_than", "abc", 1, False),  # nor does text with a number
        ("less_than", "apple", "banana", True),
        ("greater_than_or_equal", 2, 2, True),
        ("less_than_or_equal", 2.5, Decimal("2.5"), True),
        ("greater_than", "2024-01-21", "2024-01-20", True),
        ("less_than", date(2024, 1, 20), "2024-02-01", True),
        ("greater_than", datetime(2023, 5, 1, tzinfo=timezone.utc), "2023-04-30T23:00:00Z", True),
        ("equals", datetime(2023, 5, 1, tzinfo=timezone.utc), "2023-05-01T00:00:00", True),
        ("less_than", datetime(2023, 5, 1, tzinfo=timezone.utc), "yesterday", False),
        ("equals", date(2024, 1, 20), "2024-01-20", True),
        ("greater_than", date(2024, 1, 20), 5, False),
        ("contains", "ada@example.com", "example", True),
        ("contains", "ada@example.com", 5, False),
        ("contains", ["vip", "eu"], "vip", True),
        ("contains", [Decimal("1.0")], 1, True),
        ("contains", {"tier": "gold"}, "tier", True),
        ("contains", None, "x", False),
        ("contains", 15, 1, False),
        ("in", "smb", ("smb", "enterprise"), True),
        ("in", Decimal("2"), (1, 2), True),
        ("in", "ent", "enterprise", True),
        ("in", 3, "enterprise", False),
        ("in", "x", None, False),
    ],
)
def test_every_operator(operator, actual, expected, holds):
    assert compare(operator, actual, expected) is holds


def test_values_are_read_by_dotted_paths_and_missing_is_none():
    assert resolve(CONTEXT, "invoice.customer.email") == "ada@example.com"
    assert resolve(CONTEXT, "invoice.customer.phone") is None
    assert resolve(CONTEXT, "invoice.status.length") is None
    assert resolve(CONTEXT, "nothing") is None
    rule = parse_condition("customer.metadata.tier = 'gold' AND customer.phone = null", "c")
    assert evaluate(rule, CONTEXT)
