"""Webhooks as a public contract: event types, the retry schedule and what counts as delivered.

Pure: the delivery machinery (signing, HTTP, the queue) lives in ``kassa.webhooks`` and the
services; this module only states the rules they follow.
"""

from __future__ import annotations

from datetime import timedelta

_SUBSCRIPTION = "the subscription (as GET /subscriptions/{id})"
_INVOICE = "the invoice with its line_items (as GET /invoices/{id})"
_PAYMENT = "the payment (as GET /payments/{id})"


def _catalog(obj: str) -> dict[str, str]:
    view = f"the {obj} (as GET /{obj}s/{{id}})"
    return {f"{obj}.created": view, f"{obj}.updated": f"{view}, after the change",
            f"{obj}.archived": f"{view}, with archived_at"}


# Every event type Kassa emits, with what its ``data`` carries. An endpoint can subscribe to
# each (``event_types``; empty = all), ``GET /webhook-events`` lists them and the README's table
# is this one. Outbox events of any other type stay internal. tests/webhooks/test_event_types.py
# fails when code emits a type missing here.
EVENT_PAYLOADS: dict[str, str] = {
    **_catalog("customer"),
    **_catalog("product"),
    **_catalog("metric"),
    **_catalog("plan"),
    **_catalog("bundle"),
    "subscription.created": f"{_SUBSCRIPTION}, as created (draft or pending_approval)",
    "subscription.activated": f"{_SUBSCRIPTION}, now active",
    "subscription.started": f"{_SUBSCRIPTION} + billing_period {{start, end}} of the cycle "
                            "that begins",
    "subscription.updated": f"{_SUBSCRIPTION}; + renewed {{term_start, term_end}} on renewal, "
                            "+ approval {...} when an approval rule holds or rejects it",
    "subscription.version.updated": f"{_SUBSCRIPTION} + version {{id, number, effective_at, "
                                    "description, previous_version_id} that took over",
    "subscription.cancelation_scheduled": f"{_SUBSCRIPTION}, with cancellation.effective_at",
    "subscription.canceled": f"{_SUBSCRIPTION}, canceled (cancellation.reason says why)",
    "subscription.ending_soon": f"{_SUBSCRIPTION} + term_end (date: the end of the fixed term or "
                                "the scheduled cancellation) + days_until_end (int)",
    "invoice.created": f"{_INVOICE}, as drafted by a billing run",
    "invoice.issued": f"{_INVOICE}, issued (number, due_date)",
    "invoice.paid": f"{_INVOICE}, paid",
    "invoice.overdue": f"{_INVOICE}, unpaid after its due_date (status overdue)",
    "invoice.voided": f"{_INVOICE}, voided",
    "payment.created": f"{_PAYMENT}, as attempted",
    "payment.updated": f"{_PAYMENT}, after its status changed",
    "payment.succeeded": f"{_PAYMENT}, succeeded",
    "payment.failed": f"{_PAYMENT}, failed (failure_reason)",
    "payment_method.attached": "the payment method (id, customer_id, type, details, is_default)",
    "refund.updated": "the refund (as GET /refunds/{id}), after its status changed",
    "credit_note.created": "the credit note (as GET /credit-notes/{id})",
    "credit_note.applied": "the credit note, applied (resolution, refund_id or credit_grant_id)",
    "wallet.created": "the wallet (as GET /wallets/{id})",
    "wallet.transaction.created": "the wallet transaction (id, wallet_id, type, direction, amount, "
                                  "balance_after, invoice_id) + customer_id",
    "account.credits.granted": "the credit grant (as GET /credit-grants/{id}) + balance: the "
                               "customer's credit balance after it",
    "account.credits.balance_depleted": "customer_id, currency, invoice_id that spent the last of "
                                        "the monetary credit, balance (after)",
    "credits.depleted": "the same data as account.credits.balance_depleted, emitted with it "
                        "(the name automations use)",
    "account.credits.expired": "the credit grant, expired + expired_amount left unused",
    "usage.threshold_exceeded": "threshold_id, customer_id, subscription_id, metric_id, "
                                "threshold, usage, period {start, end}",
    "line_item.deleted": "reserved: not emitted yet",
    "checkout.session.completed": "the checkout session (as GET /checkout-sessions/{id}), "
                                  "complete + customer (as GET /customers/{id}) + subscription "
                                  "(as GET /subscriptions/{id}), active",
}
# Subscribable for compatibility with the platform's documented types; Kassa never emits them.
RESERVED_EVENT_TYPES: frozenset[str] = frozenset({"line_item.deleted"})
EVENT_TYPES: frozenset[str] = frozenset(EVENT_PAYLOADS)

# Sent by POST /webhook-endpoints/{id}/test to that endpoint only; not subscribable.
TEST_EVENT_TYPE = "webhook.test"

# Delay before each automatic attempt: the first is immediate, each later one counts from the
# failure before it (so attempts land at +0, +5 min, +35 min, +2 h 35 min, +10 h 35 min, ...).
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS)

# A delivery succeeds when the endpoint answers 2xx within this many seconds.
DELIVERY_TIMEOUT_SECONDS = 15
# How much of an endpoint's response an attempt keeps.
RESPONSE_EXCERPT_BYTES = 1024


def next_attempt_delay(attempts_made: int) -> timedelta | None:
    """Delay before the next automatic attempt after ``attempts_made`` failed ones, or None when
    the schedule is exhausted (the message is then ``failed``)."""
    if attempts_made < 0:
        raise ValueError("attempts_made must not be negative")
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[attempts_made]


def is_delivered(
    status_code: int | None,
    duration_seconds: float,
    limit_seconds: float = DELIVERY_TIMEOUT_SECONDS,
) -> bool:
    """Success is a 2xx answer within the delivery timeout."""
    if status_code is None or not 200 <= status_code < 300:
        return False
    return duration_seconds <= limit_seconds


def unknown_event_types(event_types: list[str]) -> list[int]:
    """Positions in ``event_types`` of names that are not subscribable event types."""
    return [i for i, name in enumerate(event_types) if name not in EVENT_TYPES]
