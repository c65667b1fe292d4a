"""The email templates Kassa ships: every template the automation templates send (and the Quick
Start's ``payment_failed_first``). An environment overrides one by saving its key
(kassa.services.email_templates); deleting the override brings this one back.

They read the automations document's variables: ``invoice.{id,total,currency,status,dueDate,
customer.{name,email}}``, ``payment.{amount,failureReason,failureCount}``, ``customer.{name,
email}``, ``subscription.*`` and ``usage.*`` where the trigger has them, and
``invoice.paymentUrl`` (empty until the customer portal exists; the link is left out then).
"""

from __future__ import annotations

from dataclasses import dataclass

# Whom an email greets: the customer, else the invoice's customer, else nobody in particular.
_NAME = '{{ customer.name or invoice.customer.name or "there" }}'
_AMOUNT = "{{ invoice.total }} {{ invoice.currency }}"
_PAY_LINK = (
    '{% if invoice.paymentUrl %}<p><a href="{{ invoice.paymentUrl }}">Pay invoice '
    "{{ invoice.id }}</a></p>{% endif %}"
)
_SIGNATURE = "<p>Thank you,<br>The billing team</p>"


@dataclass(frozen=True)
class BuiltinTemplate:
    key: str
    name: str
    subject: str
    body: str  # HTML; the text part is derived from it
    text: str | None = None


def _body(*paragraphs: str) -> str:
    return (f"<p>Hi {_NAME},</p>\n" + "\n".join(paragraphs) + f"\n{_SIGNATURE}\n")


_BUILTINS = [
    BuiltinTemplate(
        "payment_failed_first", "Payment failed (first notice)",
        "Your payment for invoice {{ invoice.id }} did not go through",
        _body(f"<p>We could not collect {_AMOUNT} for invoice {{{{ invoice.id }}}}"
              "{% if payment.failureReason %} ({{ payment.failureReason }}){% endif %}.</p>",
              "<p>We will try again automatically. If your card has changed, please update "
              "your payment details.</p>", _PAY_LINK),
    ),
    BuiltinTemplate(
        "payment_failed_gentle", "Payment failed - gentle reminder",
        "A quick note about invoice {{ invoice.id }}",
        _body(f"<p>Your payment of {_AMOUNT} for invoice {{{{ invoice.id }}}} did not go "
              "through. This happens; most often a card has expired or hit its limit.</p>",
              "<p>Please check your payment details at your convenience.</p>", _PAY_LINK),
    ),
    BuiltinTemplate(
        "payment_failed_second", "Payment failed (second notice, with a payment link)",
        "Second notice: invoice {{ invoice.id }} is still unpaid",
        _body(f"<p>Invoice {{{{ invoice.id }}}} for {_AMOUNT} is still unpaid after our "
              "earlier attempt.</p>",
              '{% if invoice.paymentUrl %}<p>You can pay it now: <a href="{{ invoice.paymentUrl '
              '}}">{{ invoice.paymentUrl }}</a></p>{% else %}<p>Please reply to this email and '
              "we will help you settle it.</p>{% endif %}"),
    ),
    BuiltinTemplate(
        "payment_failed_urgent", "Payment failed - urgent",
        "Urgent: payment needed for invoice {{ invoice.id }}",
        _body(f"<p>We have tried to collect {_AMOUNT} for invoice {{{{ invoice.id }}}} "
              "{% if payment.failureCount %}{{ payment.failureCount }} times {% endif %}without "
              "success.</p>",
              "<p>Please update your payment details now to avoid an interruption of your "
              "service.</p>", _PAY_LINK),
    ),
    BuiltinTemplate(
        "payment_failed_final", "Payment failed - final notice",
        "Final notice: invoice {{ invoice.id }}",
        _body(f"<p>This is our final notice about invoice {{{{ invoice.id }}}} for {_AMOUNT}"
              "{% if invoice.dueDate %}, due {{ invoice.dueDate }}{% endif %}.</p>",
              "<p>Without payment, your account will be handed over to collections and your "
              "service may be suspended.</p>", _PAY_LINK),
    ),
    BuiltinTemplate(
        "welcome", "Welcome",
        "Welcome{% if customer.name %}, {{ customer.name }}{% endif %}",
        _body("<p>Welcome aboard! Your account is ready.</p>",
              "<p>Invoices and receipts will be sent to {{ customer.email }}.</p>"),
    ),
    BuiltinTemplate(
        "welcome_getting_started", "Welcome series - getting started",
        "Getting started",
        _body("<p>A few days in: here is how to get the most out of your account.</p>",
              "<ul><li>Invite your team</li><li>Connect your tools</li>"
              "<li>Reply to this email with any question</li></ul>"),
    ),
    BuiltinTemplate(
        "welcome_check_in", "Welcome series - check-in",
        "How is it going?",
        _body("<p>You have been with us for a little while now. How is it going?</p>",
              "<p>Reply to this email: a person reads every answer.</p>"),
    ),
    BuiltinTemplate(
        "renewal_reminder_30", "Renewal reminder - 30 days",
        "Your subscription renews in 30 days",
        _body("<p>Your subscription {{ subscription.name or subscription.id }} renews "
              "{% if subscription.endDate %}on {{ subscription.endDate }}{% else %}in 30 "
              "days{% endif %}.</p>",
              "<p>Nothing to do if you want to keep it; reply to this email to make changes.</p>"),
    ),
    BuiltinTemplate(
        "renewal_reminder_7", "Renewal reminder - 7 days",
        "Your subscription renews in 7 days",
        _body("<p>A reminder that your subscription {{ subscription.name or subscription.id }} "
              "renews in 7 days. Please confirm your billing details are up to date.</p>"),
    ),
    BuiltinTemplate(
        "renewal_receipt", "Renewal receipt",
        "Receipt for your renewal{% if invoice.id %} (invoice {{ invoice.id }}){% endif %}",
        _body("<p>Your subscription has renewed. Thank you for staying with us.</p>",
              f"{{% if invoice.id %}}<p>Invoice {{{{ invoice.id }}}}: {_AMOUNT}.</p>"
              "{% endif %}"),
    ),
    BuiltinTemplate(
        "usage_alert", "Usage alert",
        "Usage alert: {{ usage.metric or 'your usage' }} passed its threshold",
        _body("<p>Your usage{% if usage.metric %} of {{ usage.metric }}{% endif %} has "
              "exceeded its threshold{% if usage.threshold %} of {{ usage.threshold }}"
              "{% endif %}{% if usage.value %} (now {{ usage.value }}){% endif %}.</p>",
              "<p>Usage above your plan's allowance may be billed as overage.</p>"),
    ),
    BuiltinTemplate(
        "win_back", "Win-back",
        "We miss you",
        _body("<p>We noticed you canceled your subscription. We would love to have you back.</p>",
              "<p>Reply to this email and tell us what we could do better.</p>"),
    ),
]

BUILTINS: dict[str, BuiltinTemplate] = {template.key: template for template in _BUILTINS}
