"""The email templates Kassa ships: every template the automation templates send (and the Quick
Start's ``payment_failed_first``), and the customer emails Kassa sends by itself
(kassa.services.customer_emails). An environment overrides one by saving its key
(kassa.services.email_templates); deleting the override brings this one back.

They read the automations document's variables: ``invoice.{id,total,currency,status,dueDate,
customer.{name,email}}``, ``payment.{amount,failureReason,failureCount}``, ``customer.{name,
email}``, ``subscription.*`` and ``usage.*`` where the trigger has them, and
``invoice.paymentUrl`` (a link to the customer's billing portal, made with the email while the
invoice is open; the link is left out when there is none).
An invoice is named by its number (``invoice.number``), as the customer's copy shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

# Whom an email greets: the customer, else the invoice's customer, else nobody in particular.
_NAME = '{{ customer.name or invoice.customer.name or "there" }}'
# An invoice as the customer knows it: its number (the id when it has none).
_INVOICE = "{{ invoice.number or invoice.id }}"
_AMOUNT = "{{ invoice.total }} {{ invoice.currency }}"
_DUE = "{% if invoice.dueDate %}, due {{ invoice.dueDate }}{% endif %}"
_PAY_LINK = (
    '{% if invoice.paymentUrl %}<p><a href="{{ invoice.paymentUrl }}">Pay invoice '
    f"{_INVOICE}</a></p>{{% endif %}}"
)
# "your Pro subscription", or "your subscription" when it has no name.
_SUBSCRIPTION = "{% if subscription.name %}{{ subscription.name }} {% endif %}subscription"
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
        f"Your payment for invoice {_INVOICE} did not go through",
        _body(f"<p>We could not collect {_AMOUNT} for invoice {_INVOICE}"
              "{% if payment.failureReason %} ({{ payment.failureReason }}){% endif %}.</p>",
              "<p>We will try again automatically. If your card has changed, please update "
              "your payment details.</p>", _PAY_LINK),
    ),
    BuiltinTemplate(
        "payment_failed_gentle", "Payment failed - gentle reminder",
        f"A quick note about invoice {_INVOICE}",
        _body(f"<p>Your payment of {_AMOUNT} for invoice {_INVOICE} did not go "
              "through. This happens; most often a card has expired or hit its limit.</p>",
              "<p>Please check your payment details at your convenience.</p>", _PAY_LINK),
    ),
    BuiltinTemplate(
        "payment_failed_second", "Payment failed (second notice, with a payment link)",
        f"Second notice: invoice {_INVOICE} is still unpaid",
        _body(f"<p>Invoice {_INVOICE} for {_AMOUNT}{_DUE} is still unpaid after our "
              "earlier attempt to collect it.</p>",
              '{% if invoice.paymentUrl %}<p>You can pay it now: <a href="{{ invoice.paymentUrl '
              '}}">{{ invoice.paymentUrl }}</a></p>{% else %}<p>Please update your payment '
              "details, or reply to this email and we will help you settle it.</p>{% endif %}",
              "<p>We will retry the payment in a few days.</p>"),
    ),
    BuiltinTemplate(
        "payment_failed_urgent", "Payment failed - urgent",
        f"Urgent: payment needed for invoice {_INVOICE}",
        _body(f"<p>We have tried to collect {_AMOUNT} for invoice {_INVOICE} "
              "{% if payment.failureCount %}{{ payment.failureCount }} times {% endif %}without "
              "success.</p>",
              "<p>Please update your payment details now to avoid an interruption of your "
              "service.</p>", _PAY_LINK),
    ),
    BuiltinTemplate(
        "payment_failed_final", "Payment failed - final notice",
        f"Final notice: invoice {_INVOICE} for {_AMOUNT}",
        _body(f"<p>This is our final notice about invoice {_INVOICE} for {_AMOUNT}{_DUE}."
              "{% if payment.failureCount %} We have tried to collect it "
              "{{ payment.failureCount }} times without success.{% endif %}</p>",
              "<p>Unless the invoice is paid, your account will be handed over to our "
              "collections team and your service may be suspended.</p>", _PAY_LINK),
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
        _body(f"<p>Your {_SUBSCRIPTION} renews "
              "{% if subscription.endDate %}on {{ subscription.endDate }}{% else %}in 30 "
              "days{% endif %} for another term.</p>",
              "<p>Nothing to do if you want to keep it. To change or cancel it, reply to this "
              "email before then.</p>"),
    ),
    BuiltinTemplate(
        "renewal_reminder_7", "Renewal reminder - 7 days (confirmation request)",
        "Please confirm: your subscription renews in 7 days",
        _body(f"<p>Your {_SUBSCRIPTION} renews in 7 days"
              "{% if subscription.endDate %}, on {{ subscription.endDate }}{% endif %}.</p>",
              "<p>Please confirm that your billing details are still up to date, and reply to "
              "this email if anything has changed.</p>"),
    ),
    BuiltinTemplate(
        "renewal_receipt", "Renewal receipt",
        f"Your {_SUBSCRIPTION} has renewed",
        _body("{% set renewal = subscription.latestInvoice or invoice %}"
              f"<p>Your {_SUBSCRIPTION} has renewed"
              "{% if subscription.termStart %} on {{ subscription.termStart }}{% endif %}"
              "{% if subscription.termEnd %}; the new term runs until {{ subscription.termEnd }}"
              "{% endif %}. Thank you for staying with us.</p>",
              "{% if renewal.id %}<p>Invoice {{ renewal.number or renewal.id }}: "
              "{{ renewal.total }} {{ renewal.currency }}{% if renewal.status == 'paid' %}, "
              "paid{% elif renewal.dueDate %}, due {{ renewal.dueDate }}{% endif %}.</p>"
              "{% endif %}"),
    ),
    BuiltinTemplate(
        "usage_alert", "Usage alert",
        "Usage alert: {{ usage.metric or 'your usage' }} passed its threshold",
        _body("<p>Your usage{% if usage.metric %} of {{ usage.metric }}{% endif %} has "
              "exceeded its threshold{% if usage.threshold %} of {{ usage.threshold }}"
              "{% endif %}{% if usage.value %} (now {{ usage.value }}){% endif %}"
              "{% if usage.period.start %} in the billing period that started on "
              "{{ usage.period.start }}{% endif %}.</p>",
              "<p>Usage above your plan's allowance may be billed as overage. Reply to this "
              "email if you would like to review your plan.</p>"),
    ),
    # The customer emails Kassa sends by itself (kassa.services.customer_emails, turned on in
    # Settings → Invoicing). Besides the variables above they read ``portal.url`` (a customer
    # portal link, valid 24 hours; also ``portalUrl``), ``cancellation.effectiveDate`` and
    # ``renewal.{date, termEnd, amount, currency}``.
    BuiltinTemplate(
        "invoice_issued", "Invoice issued (with the PDF)",
        f"Invoice {_INVOICE} for {_AMOUNT}",
        _body(f"<p>Your invoice {_INVOICE} for {_AMOUNT}{_DUE} is attached.</p>",
              _PAY_LINK),
    ),
    BuiltinTemplate(
        "payment_receipt", "Payment receipt",
        "Receipt: {{ payment.amount }} {{ payment.currency }} paid"
        f"{{% if invoice.id %}} for invoice {_INVOICE}{{% endif %}}",
        _body("<p>We received your payment of {{ payment.amount }} {{ payment.currency }}"
              f"{{% if invoice.id %}} for invoice {_INVOICE}{{% endif %}}. "
              "Thank you.</p>"),
    ),
    BuiltinTemplate(
        "payment_failed", "Payment failed (with a link to update the payment method)",
        f"Your payment for invoice {_INVOICE} did not go through",
        _body("<p>We could not collect {{ payment.amount or invoice.total }} "
              "{{ payment.currency or invoice.currency }}"
              f" for invoice {_INVOICE}"
              "{% if payment.failureReason %} ({{ payment.failureReason }}){% endif %}.</p>",
              '{% if portal.url %}<p>Please update your payment method: <a href="'
              '{{ portal.url }}">{{ portal.url }}</a> (the link is valid for 24 hours).</p>'
              "{% else %}<p>Please update your payment method, or reply to this email and we "
              "will help you settle it.</p>{% endif %}"),
    ),
    BuiltinTemplate(
        "cancellation_scheduled", "Cancellation scheduled",
        f"Your {_SUBSCRIPTION} ends on {{{{ cancellation.effectiveDate }}}}",
        _body(f"<p>As requested, your {_SUBSCRIPTION} is canceled effective "
              "{{ cancellation.effectiveDate }}. It stays active until then.</p>",
              "<p>Changed your mind? Reply to this email before then and we will keep it "
              "going.</p>"),
    ),
    BuiltinTemplate(
        "renewal_notice", "Renewal notice",
        f"Your {_SUBSCRIPTION} renews on {{{{ renewal.date }}}}",
        _body(f"<p>Your {_SUBSCRIPTION} renews on {{{{ renewal.date }}}}"
              "{% if renewal.termEnd %} for a new term until {{ renewal.termEnd }}{% endif %}"
              "{% if renewal.amount %}, at {{ renewal.amount }} {{ renewal.currency }} a month"
              "{% endif %}.</p>",
              "<p>Nothing to do if you want to keep it. To change or cancel it, reply to this "
              "email before then.</p>"),
    ),
    BuiltinTemplate(
        "win_back", "Win-back",
        "We would love to have you back",
        _body(f"<p>Your {_SUBSCRIPTION} ended"
              "{% if subscription.canceledAt %} on {{ subscription.canceledAt[:10] }}{% endif %}"
              ". We are sorry to see you go.</p>",
              "<p>Your account is still here whenever you want to come back. Reply to this "
              "email to restart your subscription, or to tell us what we could do better.</p>"),
    ),
]

BUILTINS: dict[str, BuiltinTemplate] = {template.key: template for template in _BUILTINS}
