"""Expressions and templates run in Jinja2's immutable sandbox; internals are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kassa.automations import expressions
from kassa.domain.automations.conditions import parse_condition
from kassa.domain.errors import InvalidRequest

CONTEXT = {
    "trigger": {"failureCount": 1, "customer": {"email": "ada@example.com"},
                "accountOwner": "grace@kassa.test"},
    "invoice": {"id": "inv_1", "total": Decimal("100.00"), "status": "unpaid",
                "items": ["a", "b"], "customer": {"name": "Ada"}},
    "payment": {"failureReason": "card_declined"},
}


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("{{trigger.failureCount}} == 1", True),
        ("{{trigger.failureCount}} == 2", False),
        ("{{invoice.status}} == 'unpaid'", True),
        ("{{ invoice.total }} > 99.99 and {{invoice.total}} < 1000", True),
        ("{{invoice.total}} == 100", True),
        ("{{payment.failureReason}} in ['card_declined', 'expired_card']", True),
        ("{{invoice.items}} | length == 2", True),  # a key named like a dict method
        ("{{missing}} > 1", False),  # undefined compares false
        ("{{missing.deeper.still}} == 'x'", False),
        ("not {{missing}}", True),
        ("{{invoice.customer.name}}", True),
    ],
)
def test_condition_expressions(text, holds):
    assert expressions.evaluate_expression(text, CONTEXT) is holds


def test_a_condition_tree_mixes_rules_and_expressions():
    condition = parse_condition(
        {"and": ["{{trigger.failureCount}} == 1", "invoice.total >= 100"]}, "c", expressions.check
    )
    assert expressions.evaluate(condition, CONTEXT)
    assert not expressions.evaluate(condition, {**CONTEXT, "trigger": {"failureCount": 3}})


def test_rendering_templates():
    text = "Invoice {{invoice.id}} of {{invoice.total}} for {{trigger.customer.email}}{{nope.x}}"
    assert expressions.render(text, CONTEXT) == "Invoice inv_1 of 100.00 for ada@example.com"
    assert expressions.render("{{ invoice.items | join(', ') }}", CONTEXT) == "a, b"
    # None is nothing, as a missing value is: a customer without an email has no "None" to write to.
    assert expressions.render("<{{ customer.email }}>", {"customer": {"email": None}}) == "<>"


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ invoice.__init__.__globals__ }}",
        "{{ invoice['__class__'] }}",
        "{{ _private }}",
    ],
)
def test_reaching_python_internals_is_refused_when_checked(text):
    with pytest.raises(InvalidRequest) as error:
        expressions.check_template(text, "steps[0].to")
    assert error.value.field == "steps[0].to"
    assert "not allowed" in error.value.detail
    with pytest.raises(InvalidRequest):
        expressions.check(text.replace("{{ ", "{{").replace(" }}", "}}") + " == 1", "steps[0].if")
    with pytest.raises(InvalidRequest, match="not allowed"):
        expressions.render(text, CONTEXT)


@pytest.mark.parametrize(
    "text",
    [
        "{{ invoice | attr('__class__') }}",  # past the parse-time check: the sandbox refuses
        "{{ '{0.__class__}'.format(invoice) }}",
        "{{ invoice.items.append('x') }}",  # immutable sandbox: no mutation of the context
    ],
)
def test_the_sandbox_refuses_at_run_time_too(text):
    with pytest.raises(InvalidRequest, match="not allowed"):
        expressions.render(text, CONTEXT)
    assert CONTEXT["invoice"]["items"] == ["a", "b"]


def test_a_sandboxed_condition_is_refused_at_run_time():
    with pytest.raises(InvalidRequest, match="not allowed"):
        expressions.evaluate_expression("{{ invoice | attr('__class__') }} == 1", CONTEXT)


@pytest.mark.parametrize(
    "text",
    ["{{trigger.failureCount}} ==", "{% if x %}1{% endif %}", "{{ a }} == {{", "{{ a b }}"],
)
def test_syntax_errors_name_the_field(text):
    with pytest.raises(InvalidRequest) as error:
        expressions.check(text, "steps[0].then[1].if")
    assert error.value.field == "steps[0].then[1].if"


def test_template_syntax_errors_name_the_field():
    with pytest.raises(InvalidRequest) as error:
        expressions.check_template("Hi {{ customer.name ", "steps[1].message")
    assert error.value.field == "steps[1].message"


def test_evaluation_errors_are_invalid_requests():
    with pytest.raises(InvalidRequest, match="could not be evaluated"):
        expressions.evaluate_expression("{{invoice.status}} > 1", CONTEXT)
    with pytest.raises(InvalidRequest, match="could not be rendered"):
        expressions.render("{{ 1 / 0 }}", CONTEXT)
