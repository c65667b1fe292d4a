"""Automation definitions: every example of the automations document parses, round-trips, and
every problem is an InvalidRequest naming its exact field."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kassa.automations.parsing import parse
from kassa.domain.automations.actions import ACTIONS
from kassa.domain.automations.conditions import AllOf, Expression, Rule
from kassa.domain.automations.definition import (
    ActionStep,
    ConditionStep,
    Definition,
    DelayStep,
    LoopStep,
    StopStep,
    parse_definition,
    to_data,
)
from kassa.domain.automations.retry import ErrorHandling
from kassa.domain.automations.triggers import (
    EventTrigger,
    ManualTrigger,
    ScheduleTrigger,
    parse_trigger,
)
from kassa.domain.errors import InvalidRequest

from tests.documents import FALLBACK_ACTIONS, QUICK_START, RETRY_CONFIGURATION

from .helpers import PROPERTY


# "Example: Payment Dunning Workflow", written as a definition step by step.
DUNNING_WORKFLOW = {
    "name": "Payment Dunning Workflow",
    "trigger": {"type": "event", "event": "payment.failed"},  # 1. trigger: Payment Failed
    "steps": [
        {"type": "action", "action": "send_email",  # 2. "Payment Failed - Gentle Reminder"
         "template": "payment_failed_gentle"},
        {"type": "delay", "duration": "3d"},  # 3. wait 3 days
        {"type": "condition", "if": "{{invoice.status}} == 'unpaid'",  # 4. if still unpaid
         "then": [
             {"type": "action", "action": "retry_payment"},  # 5.
             {"type": "action", "action": "send_email",  # 6. "Payment Failed - Urgent"
              "template": "payment_failed_urgent"},
             {"type": "action", "action": "delay", "duration": "7d"},  # 7. wait 7 days
             {"type": "action", "action": "send_email",  # 8. final notice email
              "template": "payment_failed_final"},
         ]},
    ],
}


def _minimal(**extra) -> dict:
    return {"name": "n", "trigger": {"type": "manual"}, "steps": [{"type": "stop"}], **extra}


def _round_trips(definition: Definition) -> None:
    assert parse(to_data(definition)) == definition
    assert to_data(parse(to_data(definition))) == to_data(definition)


def test_the_quick_start_yaml_parses_verbatim():
    definition = parse(yaml.safe_load(QUICK_START))
    assert definition.name == "Payment Failed - Dunning Email"
    assert definition.trigger == EventTrigger("payment.failed")
    first, delay, last = definition.steps
    assert first == ConditionStep(
        Expression("{{trigger.failureCount}} == 1"),
        then=(ActionStep("send_email", {"template": "payment_failed_first",
                                        "to": "{{trigger.customer.email}}"}),),
    )
    assert delay == DelayStep(timedelta(days=3))
    assert last == ConditionStep(Expression("{{invoice.status}} == 'unpaid'"),
                                 then=(ActionStep("retry_payment"),))
    _round_trips(definition)


def test_the_fallback_example_parses_and_send_email_writes_to_the_customer():
    definition = parse({"name": "Fallback", "trigger": {"type": "manual"},
                        **yaml.safe_load(FALLBACK_ACTIONS)})
    (step,) = definition.steps
    assert step.action == "send_email"
    assert dict(step.params) == {"to": "{{customer.email}}"}  # no template: fails when it runs
    assert step.on_error == (ActionStep("create_task", {
        "assignee": "{{trigger.accountOwner}}", "message": "Email failed to send"}),)
    _round_trips(definition)


def test_the_error_handling_json_parses():
    import json

    definition = parse(_minimal(**json.loads(RETRY_CONFIGURATION)))
    assert definition.error_handling == ErrorHandling(3, timedelta(minutes=5), Decimal(2))
    assert to_data(definition)["errorHandling"] == {"retries": 3, "retryDelay": "5m",
                                                    "backoffMultiplier": 2}
    _round_trips(definition)


def test_the_dunning_workflow_parses_step_by_step():
    definition = parse(DUNNING_WORKFLOW)
    gentle, wait, still_unpaid = definition.steps
    assert gentle.params["template"] == "payment_failed_gentle"
    assert wait == DelayStep(timedelta(days=3))
    assert [type(step) for step in still_unpaid.then] == [ActionStep, ActionStep, DelayStep,
                                                          ActionStep]
    assert still_unpaid.then[2] == DelayStep(timedelta(days=7))  # the workflow action delay
    assert to_data(definition)["steps"][2]["then"][2] == {"type": "delay", "duration": "1w"}
    _round_trips(definition)


def test_every_step_form_and_workflow_action():
    definition = parse({
        "name": "all steps",
        "description": "every form",
        "trigger": {"type": "schedule", "cron": "0  9 * * 1", "timezone": "Europe/Berlin"},
        "conditions": 'invoice.amount > 1000 AND customer.segment = "enterprise"',
        "errorHandling": {"retries": 1},
        "steps": [
            {"type": "branch", "if": {"field": "customer.segment", "operator": "in",
                                      "value": ["smb", "enterprise"]},
             "then": [{"type": "stop"}], "else": [{"type": "action", "action": "stop"}]},
            {"type": "action", "action": "branch", "if": "{{x}}", "else": [{"type": "stop"}]},
            {"type": "loop", "over": "{{ customer.overdue_invoices }}",
             "steps": [{"type": "action", "action": "void_invoice", "invoice_id": "{{item.id}}"}]},
            {"type": "action", "action": "loop", "over": "trigger.items",
             "steps": [{"type": "action", "action": "sync_to_crm"}]},
        ],
    })
    assert definition.trigger == ScheduleTrigger(cron="0 9 * * 1", timezone="Europe/Berlin")
    assert definition.conditions == AllOf((Rule("invoice.amount", "greater_than", 1000),
                                           Rule("customer.segment", "equals", "enterprise")))
    assert definition.error_handling == ErrorHandling(1)
    branch, action_branch, loop, action_loop = definition.steps
    assert branch.then == (StopStep(),) and branch.otherwise == (StopStep(),)
    assert action_branch.otherwise == (StopStep(),) and action_branch.then == ()
    assert loop == LoopStep("customer.overdue_invoices",
                            (ActionStep("void_invoice", {"invoice_id": "{{item.id}}"}),))
    assert action_loop.over == "trigger.items"
    data = to_data(definition)
    assert data["description"] == "every form"
    assert data["conditions"] == {"and": [
        {"field": "invoice.amount", "operator": "greater_than", "value": 1000},
        {"field": "customer.segment", "operator": "equals", "value": "enterprise"}]}
    assert data["steps"][1] == {"type": "condition", "if": "{{x}}", "else": [{"type": "stop"}]}
    _round_trips(definition)


# Each action with every parameter it takes (and templates where they are texts).
EVERY_ACTION = {
    "send_email": {"template": "payment_failed_first", "to": "{{customer.email}}",
                   "cc": ["billing@example.com", "{{trigger.accountOwner}}"],
                   "attach_invoice": True},
    "send_sms": {"to": "{{customer.phone}}", "message": "Invoice {{invoice.id}} failed"},
    "send_slack": {"message": "Payment failed for {{customer.name}}",
                   "webhook_url": "https://hooks.slack.test/services/T/B/X"},
    "send_webhook": {"url": "https://example.com/hook", "secret": "whsec_abc",
                     "payload": {"invoice": "{{invoice.id}}", "n": 1, "ratio": 0.5,
                                 "tags": ["a", None, True]}},
    "retry_payment": {"invoice_id": "{{trigger.invoice.id}}"},
    "void_invoice": {"invoice_id": "inv_1"},
    "create_credit_note": {"invoice_id": "inv_1", "amount": "25.00", "reason": "goodwill"},
    "apply_credits": {"invoice_id": "{{invoice.id}}"},
    "update_customer": {"fields": {"segment": "at_risk", "metadata": {"dunning": "{{x}}"}}},
    "add_tag": {"tag": "dunning"},
    "create_task": {"message": "Call {{customer.name}}", "assignee": "{{trigger.accountOwner}}",
                    "title": "Collections", "customer_id": "{{customer.id}}",
                    "invoice_id": "{{invoice.id}}"},
    "sync_to_crm": {},
}


def test_every_action_of_the_document_is_known_with_its_parameters():
    assert set(EVERY_ACTION) == set(ACTIONS)
    steps = [{"type": "action", "action": action, **params}
             for action, params in EVERY_ACTION.items()]
    definition = parse(_minimal(steps=steps))
    by_action = {step.action: step for step in definition.steps}
    assert by_action["send_email"].params["cc"] == ("billing@example.com",
                                                    "{{trigger.accountOwner}}")
    assert by_action["send_webhook"].params["payload"]["ratio"] == Decimal("0.5")
    assert by_action["create_credit_note"].params["amount"] == "25.00"
    with pytest.raises(TypeError):  # parsed parameters are read-only
        by_action["add_tag"].params["tag"] = "other"  # type: ignore[index]
    data = to_data(definition)
    assert data["steps"][0]["cc"] == ["billing@example.com", "{{trigger.accountOwner}}"]
    assert data["steps"][3]["payload"]["tags"] == ["a", None, True]
    _round_trips(definition)


@pytest.mark.parametrize(
    ("amount", "text"), [(25, "25"), (12.5, "12.5"), ("0.10", "0.10"), ("{{invoice.total}}",
                                                                     "{{invoice.total}}")],
)
def test_credit_note_amounts_are_exact(amount, text):
    steps = [{"type": "action", "action": "create_credit_note", "amount": amount}]
    assert parse(_minimal(steps=steps)).steps[0].params["amount"] == text


@pytest.mark.parametrize(
    "trigger",
    [
        {"type": "event", "event": "invoice.overdue"},
        {"type": "event", "event": "subscription.ending_soon", "days": 30},
        {"type": "event", "event": "credits.depleted"},
        {"type": "event", "event": "usage.threshold_exceeded"},
        {"type": "schedule", "interval": "24h"},
        {"type": "schedule", "calendar": "first_day_of_month", "timezone": "America/New_York"},
        {"type": "schedule", "cron": "@daily"},
        {"type": "manual"},
    ],
)
def test_every_trigger_form_round_trips(trigger):
    definition = parse(_minimal(trigger=trigger))
    _round_trips(definition)


def test_trigger_defaults_and_canonical_forms():
    assert parse_trigger({"type": "schedule", "interval": "24h"}) == ScheduleTrigger(
        interval=timedelta(hours=24), timezone="UTC")
    assert to_data(parse(_minimal(trigger={"type": "schedule", "interval": "24h"})))[
        "trigger"] == {"type": "schedule", "interval": "1d", "timezone": "UTC"}
    assert parse_trigger({"type": "manual"}) == ManualTrigger()


def test_the_pure_parser_calls_the_injected_checks_with_each_field():
    seen: list[tuple[str, str, str]] = []
    parse_definition(
        {**_minimal(), "trigger": {"type": "schedule", "cron": "0 9 * * 1"},
         "conditions": {"or": ["{{a}} == 1", {"if": "{{b}}"}]},
         "steps": [{"type": "condition", "if": "{{c}}", "then": [
             {"type": "action", "action": "send_sms", "to": "+1555", "message": "Hi {{d}}"}]}]},
        check_expression=lambda text, field: seen.append(("expression", text, field)),
        check_template=lambda text, field: seen.append(("template", text, field)),
        check_cron=lambda text, field: seen.append(("cron", text, field)),
    )
    assert seen == [
        ("cron", "0 9 * * 1", "trigger.cron"),
        ("expression", "{{a}} == 1", "conditions.or[0]"),
        ("expression", "{{b}}", "conditions.or[1].if"),
        ("expression", "{{c}}", "steps[0].if"),
        ("template", "Hi {{d}}", "steps[0].then[0].message"),
    ]


def _with(path: list, value, base: dict | None = None) -> dict:
    """A copy of the Quick Start with the value at ``path`` set (or removed for ``...``)."""
    data = copy.deepcopy(base if base is not None else yaml.safe_load(QUICK_START))
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_THEN0 = ["steps", 0, "then", 0]

INVALID = [
    (_with(["name"], ""), "name"),
    (_with(["name"], ...), "name"),
    (_with(["description"], 5), "description"),
    (_with(["colour"], "red"), "colour"),
    (_with(["trigger"], ...), "trigger"),
    (_with(["trigger"], "payment.failed"), "trigger"),
    (_with(["trigger", "type"], "webhook"), "trigger.type"),
    (_with(["trigger", "event"], "payment.exploded"), "trigger.event"),
    (_with(["trigger", "event"], "line_item.deleted"), "trigger.event"),  # reserved
    (_with(["trigger", "days"], 7), "trigger.days"),  # only for ending_soon
    (_with(["trigger"], {"type": "event", "event": "subscription.ending_soon", "days": 0}),
     "trigger.days"),
    (_with(["trigger", "foo"], 1), "trigger.foo"),
    (_with(["trigger"], {"type": "schedule"}), "trigger.interval"),
    (_with(["trigger"], {"type": "schedule", "interval": "1d", "cron": "* * * * *"}),
     "trigger.cron"),
    (_with(["trigger"], {"type": "schedule", "interval": "3x"}), "trigger.interval"),
    (_with(["trigger"], {"type": "schedule", "cron": "61 9 * * 1"}), "trigger.cron"),
    (_with(["trigger"], {"type": "schedule", "cron": "0 9 * *"}), "trigger.cron"),
    (_with(["trigger"], {"type": "schedule", "cron": "0 0 30 2 *"}), "trigger.cron"),
    (_with(["trigger"], {"type": "schedule", "cron": "0 9 * * 1", "timezone": "Mars/Olympus"}),
     "trigger.timezone"),
    (_with(["trigger"], {"type": "schedule", "calendar": "fortnightly"}), "trigger.calendar"),
    (_with(["trigger"], {"type": "manual", "event": "x"}), "trigger.event"),
    (_with(["conditions"], "invoice.amount >"), "conditions"),
    (_with(["conditions"], {"and": [{"field": "a", "operator": "about", "value": 1}]}),
     "conditions.and[0].operator"),
    (_with(["errorHandling"], {"retries": 3, "retryDelay": "-1d"}), "errorHandling.retryDelay"),
    (_with(["errorHandling"], {"retries": "3"}), "errorHandling.retries"),
    (_with(["errorHandling"], {"retries": 3, "backoffMultiplier": 0.5}),
     "errorHandling.backoffMultiplier"),
    (_with(["errorHandling"], {"retries": 2, "jitter": True}), "errorHandling.jitter"),
    (_with(["steps"], []), "steps"),
    (_with(["steps"], ...), "steps"),
    (_with(["steps"], {"type": "stop"}), "steps"),
    (_with(["steps", 1], "delay"), "steps[1]"),
    (_with(["steps", 1, "type"], "wait"), "steps[1].type"),
    (_with(["steps", 1, "duration"], "3x"), "steps[1].duration"),
    (_with(["steps", 1, "duration"], "0d"), "steps[1].duration"),
    (_with(["steps", 1, "duration"], ...), "steps[1].duration"),
    (_with(["steps", 1, "until"], "x"), "steps[1].until"),
    (_with(["steps", 0, "if"], "{{trigger.failureCount}} =="), "steps[0].if"),
    (_with(["steps", 0, "if"], ...), "steps[0].if"),
    (_with(["steps", 0, "then"], ...), "steps[0].then"),
    (_with(["steps", 0, "then"], "send_email"), "steps[0].then"),
    (_with(["steps", 0, "if"], "{{ ''.__class__.__mro__ }}"), "steps[0].if"),
    (_with([*_THEN0, "template"], "Payment Failed!"), "steps[0].then[0].template"),
    (_with([*_THEN0, "to"], "{{ trigger.customer.email "), "steps[0].then[0].to"),
    (_with([*_THEN0, "to"], "{{ invoice.__init__.__globals__ }}"), "steps[0].then[0].to"),
    (_with([*_THEN0, "subject"], "Hi"), "steps[0].then[0].subject"),
    (_with([*_THEN0, "attach_invoice"], "yes"), "steps[0].then[0].attach_invoice"),
    (_with([*_THEN0, "cc"], ["a@example.com", 7]), "steps[0].then[0].cc[1]"),
    (_with([*_THEN0, "action"], "send_fax"), "steps[0].then[0].action"),
    (_with([*_THEN0, "onError"], [{"type": "action", "action": "add_tag"}]),
     "steps[0].then[0].onError[0].tag"),
    (_with([*_THEN0, "errorHandling"], {"retries": 11}),
     "steps[0].then[0].errorHandling.retries"),
    (_with(["steps", 2, "then", 0, "invoice_id"], ""), "steps[2].then[0].invoice_id"),
    (_with(["steps", 2, "then", 0], {"type": "action", "action": "send_sms", "to": "+1"}),
     "steps[2].then[0].message"),
    (_with(["steps", 2, "then", 0], {"type": "action", "action": "send_webhook",
                                     "url": "ftp://example.com"}), "steps[2].then[0].url"),
    (_with(["steps", 2, "then", 0], {"type": "action", "action": "update_customer",
                                     "fields": {}}), "steps[2].then[0].fields"),
    (_with(["steps", 2, "then", 0], {"type": "action", "action": "create_credit_note",
                                     "amount": "-5"}), "steps[2].then[0].amount"),
    (_with(["steps", 2, "then", 0], {"type": "action", "action": "sync_to_crm",
                                     "crm": "hubspot"}), "steps[2].then[0].crm"),
    (_with(["steps", 2], {"type": "loop", "over": "customer subscriptions",
                          "steps": [{"type": "stop"}]}), "steps[2].over"),
    (_with(["steps", 2], {"type": "loop", "over": "customer.subscriptions"}), "steps[2].steps"),
    (_with(["steps", 2], {"type": "stop", "reason": "done"}), "steps[2].reason"),
]


@pytest.mark.parametrize(("data", "field"), INVALID, ids=[field for _, field in INVALID])
def test_each_problem_names_its_field(data, field):
    with pytest.raises(InvalidRequest) as error:
        parse(data)
    assert error.value.field == field, error.value.detail


def test_a_definition_is_an_object():
    with pytest.raises(InvalidRequest):
        parse(["steps"])


def test_nesting_and_size_are_bounded():
    deep: dict = {"type": "stop"}
    for _ in range(11):
        deep = {"type": "condition", "if": "{{x}}", "then": [deep]}
    with pytest.raises(InvalidRequest) as error:
        parse(_minimal(steps=[deep]))
    assert error.value.field == "steps[0]" + ".then[0]" * 9 + ".then"
    with pytest.raises(InvalidRequest) as error:
        parse(_minimal(steps=[{"type": "stop"}] * 201))
    assert error.value.field == "steps[200]"


_TEXTS = st.sampled_from(["hello", "{{customer.name}}", "Invoice {{invoice.id}} is due"])
_RULES = st.builds(
    lambda field, operator, value: {"field": field, "operator": operator, "value": value},
    st.sampled_from(["invoice.amount", "customer.segment", "{{ trigger.failureCount }}"]),
    st.sampled_from(["=", "equals", "!=", ">", "greater than", "<=", "contains"]),
    st.one_of(st.integers(-5, 5000), st.sampled_from(["smb", "enterprise"]), st.none(),
              st.decimals(0, 100, places=2).map(float)),
)
_CONDITIONS = st.recursive(
    st.one_of(_RULES, st.sampled_from(["{{trigger.failureCount}} == 1", "a > 1 AND b = 'x'"])),
    lambda inner: st.one_of(st.builds(lambda items: {"and": items}, st.lists(inner, min_size=1,
                                                                             max_size=3)),
                            st.builds(lambda items: {"or": items}, st.lists(inner, min_size=1,
                                                                            max_size=3))),
    max_leaves=6,
)
_LEAVES = st.one_of(
    st.just({"type": "stop"}),
    st.builds(lambda n, unit: {"type": "delay", "duration": f"{n}{unit}"},
              st.integers(1, 500), st.sampled_from("smhdw")),
    st.builds(lambda text: {"type": "action", "action": "add_tag", "tag": text}, _TEXTS),
    st.builds(lambda text, cc: {"type": "action", "action": "send_email",
                                "template": "welcome", "to": text, "cc": cc},
              _TEXTS, st.one_of(_TEXTS, st.lists(_TEXTS, min_size=1, max_size=2))),
)
_STEPS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.builds(lambda cond, then: {"type": "condition", "if": cond, "then": then},
                  _CONDITIONS, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda steps: {"type": "loop", "over": "customer.subscriptions",
                                 "steps": steps}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda fallback, retries: {"type": "action", "action": "sync_to_crm",
                                             "onError": fallback,
                                             "errorHandling": {"retries": retries,
                                                               "backoffMultiplier": 1.5}},
                  st.lists(inner, min_size=1, max_size=2), st.integers(0, 4)),
    ),
    max_leaves=12,
)


@PROPERTY
@given(st.lists(_STEPS, min_size=1, max_size=4), st.one_of(st.none(), _CONDITIONS))
def test_any_definition_round_trips_through_its_canonical_data(steps, conditions):
    definition = parse(_minimal(steps=steps, conditions=conditions))
    _round_trips(definition)
