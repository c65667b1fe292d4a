"""The automation templates of ``GET /automation-templates``: definitions to start from
(``POST /automations {"template": KEY}``). The email templates they name are built in
(``kassa.services.email_templates``)."""

from __future__ import annotations

import copy
from typing import Any

from kassa.domain.errors import InvalidRequest

TO_CUSTOMER = "{{trigger.customer.email}}"
UNPAID = "{{invoice.status}} == 'unpaid'"
# A subscription.ending_soon that announces a renewal (not a cancellation or a last term), and
# the renewal having happened: the current term starts at the end that was announced.
RENEWS = "{{subscription.renews}}"
RENEWED = ("{{subscription.termStart}} == {{subscription.endDate}} and "
           "{{subscription.status}} in ('active', 'paused')")


def _email(template: str) -> dict[str, Any]:
    return {"type": "action", "action": "send_email", "template": template, "to": TO_CUSTOMER}


def _delay(duration: str) -> dict[str, Any]:
    return {"type": "delay", "duration": duration}


def _task(message: str) -> dict[str, Any]:
    return {"type": "action", "action": "create_task", "assignee": "{{trigger.accountOwner}}",
            "message": message}


def _only_if(condition: str, *then: dict[str, Any]) -> dict[str, Any]:
    """``then`` when ``condition`` holds, else the execution stops here."""
    return {"type": "condition", "if": condition, "then": list(then), "else": [{"type": "stop"}]}


TEMPLATES: dict[str, dict[str, Any]] = {
    "payment_dunning": {
        "name": "Payment Dunning",
        "description": "Multi-step dunning sequence for failed payments: an email on the first "
                       "failure, a second one with a payment link after 3 days, a payment retry "
                       "5 days later, then a final notice and a task to escalate to collections.",
        "definition": {
            "name": "Payment Dunning",
            "description": "Recover failed payments automatically.",
            "trigger": {"type": "event", "event": "payment.failed"},
            # A failed retry is a payment.failed too: the sequence starts on the first only.
            "conditions": {"if": "{{trigger.failureCount}} == 1"},
            "steps": [
                _email("payment_failed_first"),
                _delay("3d"),
                _only_if(UNPAID, _email("payment_failed_second")),
                _delay("5d"),
                _only_if(UNPAID, {"type": "action", "action": "retry_payment"}),
                _only_if(
                    UNPAID,
                    _email("payment_failed_final"),
                    _task("Collections: invoice {{invoice.number}} of {{customer.name}} "
                          "({{invoice.total}} {{invoice.currency}}, due {{invoice.dueDate}}) is "
                          "still unpaid after {{payment.failureCount}} failed payments and the "
                          "dunning emails."),
                ),
            ],
            "errorHandling": {"retries": 3, "retryDelay": "5m", "backoffMultiplier": 2},
        },
    },
    "welcome_series": {
        "name": "Welcome Series",
        "description": "Onboarding emails for new customers: welcome, getting started after 3 "
                       "days, a check-in after two weeks.",
        "definition": {
            "name": "Welcome Series",
            "trigger": {"type": "event", "event": "customer.created"},
            # A customer created without an email address has nobody to welcome.
            "conditions": {"if": TO_CUSTOMER},
            "steps": [_email("welcome"), _delay("3d"), _email("welcome_getting_started"),
                      _delay("11d"), _email("welcome_check_in")],
        },
    },
    "renewal_reminder": {
        "name": "Renewal Reminder",
        "description": "Notify customers before renewal: a reminder 30 days before, a "
                       "confirmation request 7 days before, and a receipt with the renewal's "
                       "invoice on the renewal day; nothing more once the subscription will not "
                       "renew.",
        "definition": {
            "name": "Renewal Reminder",
            "trigger": {"type": "event", "event": "subscription.ending_soon", "days": 30},
            "conditions": {"if": RENEWS},
            "steps": [_email("renewal_reminder_30"), _delay("23d"),
                      _only_if(RENEWS, _email("renewal_reminder_7")),
                      # An hour into the new term: the renewal's invoice is collected by then.
                      _delay("169h"),
                      _only_if(RENEWED, _email("renewal_receipt"))],
        },
    },
    "usage_alert": {
        "name": "Usage Alert",
        "description": "Alert the customer when usage exceeds a threshold, and the account "
                       "manager (a task) above 120% of it.",
        "definition": {
            "name": "Usage Alert",
            "trigger": {"type": "event", "event": "usage.threshold_exceeded"},
            "steps": [
                _email("usage_alert"),
                {"type": "condition", "if": "{{usage.value}} * 10 > {{usage.threshold}} * 12",
                 "then": [_task("{{customer.name}} is at "
                                "{{ (usage.value * 100 / usage.threshold) | int }}% of its "
                                "{{usage.metric}} threshold ({{usage.value}} of "
                                "{{usage.threshold}} in the period from {{usage.period.start}}): "
                                "talk to them about their plan.")]},
            ],
        },
    },
    "win_back": {
        "name": "Win-back Campaign",
        "description": "Re-engage canceled customers: an email two weeks after a subscription "
                       "ends, unless the customer has an active subscription by then.",
        "definition": {
            "name": "Win-back Campaign",
            "trigger": {"type": "event", "event": "subscription.canceled"},
            # Only a subscription that ran (a draft canceled before it started lost nobody).
            "conditions": {"if": "{{subscription.activatedAt}}"},
            "steps": [_delay("14d"),
                      _only_if("{{subscription.customerActiveSubscriptions}} == 0",
                               _email("win_back"))],
        },
    },
}


def list_templates() -> list[dict[str, Any]]:
    return [{"key": key, **copy.deepcopy(t)} for key, t in TEMPLATES.items()]


def template_definition(key: Any) -> dict[str, Any]:
    """The definition of template ``key`` (a copy to edit); unknown → 422 naming it."""
    if not isinstance(key, str) or key not in TEMPLATES:
        raise InvalidRequest(f"Unknown automation template {key!r}; known: "
                             f"{', '.join(TEMPLATES)}.", field="template")
    return copy.deepcopy(TEMPLATES[key]["definition"])
