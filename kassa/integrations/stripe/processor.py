"""``StripeProcessor``: charges, refunds, customers and hosted setup through Stripe's API.

A charge is a PaymentIntent created and confirmed off-session with the saved payment method,
under the collect job's idempotency key (``<invoice>:<attempt>``): a job run again asks Stripe
again with the same key and gets the first answer, never a second charge. Cards answer at once
(``succeeded``, or a decline); ACH and SEPA debits answer ``processing`` and finish by webhook.
A PaymentIntent that needs the customer (3-D Secure: ``requires_action``, or Stripe's
``authentication_required`` decline of an off-session charge) is a failed payment whose reason
starts with ``requires_action``: the customer completes it by adding (and authenticating) a
method on the portal's Billing information page, then paying.

A network failure, Stripe's 5xx or a rate limit raises: the job runs again later with the same
key. Everything else Stripe refuses is a failed payment with Stripe's reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import stripe

from kassa.domain.currencies import minor_units
from kassa.payments import KASSA_TYPE, CollectedMethod, ProcessorResult

STRIPE_TYPE = {kassa: stripe_type for stripe_type, kassa in KASSA_TYPE.items()}
WALLETS = {"apple_pay": "Apple Pay", "google_pay": "Google Pay", "samsung_pay": "Samsung Pay",
           "link": "Link"}
TIMEOUT_SECONDS = 20
REQUIRES_ACTION = "requires_action"


def field(obj: Any, name: str) -> Any:
    """A Stripe object's field, None when it has none (a ``StripeObject`` is not a dict)."""
    return getattr(obj, name, None)


def amount_in_minor_units(amount: Decimal, currency: str) -> int:
    """Stripe's integer amount: ``amount`` in the currency's smallest unit (JPY: yen)."""
    scaled = amount.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than the currency")
    return int(scaled)


class StripeProcessor:
    name = "stripe"

    def __init__(self, api_key: str, *, api_base: str | None = None,
                 method_types: tuple[str, ...] = ("card",), environment: str = "production",
                 http_client: stripe.HTTPClient | None = None) -> None:
        self.environment = environment
        self.method_types = method_types
        self.api_base = api_base
        self.live = api_key.startswith(("sk_live_", "rk_live_"))
        self.client = stripe.StripeClient(
            api_key, base_addresses={"api": api_base} if api_base else None,
            max_network_retries=2,
            http_client=http_client or stripe.RequestsClient(timeout=TIMEOUT_SECONDS))

    def __repr__(self) -> str:  # never the key
        return f"StripeProcessor({self.environment}, live={self.live})"

    # ------------------------------------------------------------------ charges

    def charge(self, method: Mapping[str, Any], amount: Decimal, currency: str, *,
               idempotency_key: str, previous_failures: int) -> ProcessorResult:
        reference, customer = method.get("processor_ref"), method.get("processor_customer")
        if not reference or not customer or method["type"] not in STRIPE_TYPE:
            return ProcessorResult("failed", None, "payment_method_not_on_stripe: this payment "
                                   "method was not collected through Stripe; add one on the "
                                   "billing portal")
        invoice_id, _, attempt = idempotency_key.partition(":")
        try:
            minor = amount_in_minor_units(amount, currency)
        except ValueError as exc:
            return ProcessorResult("failed", None, f"amount_invalid: {exc}")
        params: dict[str, Any] = {
            "amount": minor, "currency": currency.lower(),
            "customer": customer, "payment_method": reference,
            "payment_method_types": [STRIPE_TYPE[method["type"]]],
            "confirm": True, "off_session": True,
            "metadata": {"kassa_environment": self.environment, "kassa_invoice_id": invoice_id,
                         "kassa_attempt": attempt},
        }
        try:
            intent = self.client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key})
        except stripe.CardError as exc:
            found = exc.error.payment_intent if exc.error is not None else None
            ref = found.id if found is not None else None
            if exc.code == "authentication_required":
                return ProcessorResult("failed", ref, f"{REQUIRES_ACTION}: the bank asks the "
                                       "customer to authenticate this payment (3-D Secure)")
            code = exc.code or (exc.error.decline_code if exc.error is not None else None)
            return ProcessorResult("failed", ref, f"{code or 'card_error'}: "
                                   f"{exc.user_message or 'the payment was declined'}")
        except stripe.InvalidRequestError as exc:
            return ProcessorResult("failed", None, f"{exc.code or 'invalid_request'}: "
                                   f"{exc.user_message or 'Stripe refused the payment'}")
        if intent.status == "requires_action":
            self._cancel(intent.id)
        return intent_result(intent)

    def _cancel(self, intent_id: str) -> None:
        """Kassa counts a payment that waits for the customer as failed: it is canceled, so it
        cannot succeed later behind the invoice's back (the customer pays again instead)."""
        try:
            self.client.v1.payment_intents.cancel(intent_id)
        except stripe.InvalidRequestError:
            pass  # canceled already (a job run again)

    def refund(self, payment: Mapping[str, Any], amount: Decimal, *,
               idempotency_key: str) -> ProcessorResult:
        if not payment.get("processor_ref"):
            return ProcessorResult("failed", None, "no Stripe payment to refund")
        try:
            found = self.client.v1.refunds.create(params={
                "payment_intent": payment["processor_ref"],
                "amount": amount_in_minor_units(amount, payment["currency"]),
                "metadata": {"kassa_environment": self.environment,
                             "kassa_refund_id": idempotency_key},
            }, options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            return ProcessorResult("failed", None, f"{exc.code or 'invalid_request'}: "
                                   f"{exc.user_message or 'Stripe refused the refund'}")
        return refund_result(found)

    def refunds_of(self, payment_intent: str) -> dict[str, ProcessorResult]:
        """Every refund of a PaymentIntent as it stands now."""
        listed = self.client.v1.refunds.list(params={"payment_intent": payment_intent,
                                                     "limit": 100})
        return {r.id: refund_result(r) for r in listed.auto_paging_iter()}

    # ------------------------------------------------------------------ hosted setup

    def create_customer(self, customer: Mapping[str, Any], *, idempotency_key: str) -> str:
        params: dict[str, Any] = {"metadata": {"kassa_customer_id": customer["id"],
                                               "kassa_environment": self.environment}}
        if customer.get("name"):
            params["name"] = customer["name"]
        if customer.get("email"):
            params["email"] = customer["email"]
        found = self.client.v1.customers.create(
            params=params, options={"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        return str(found.id)

    def setup_session(self, customer_reference: str, *, kassa_customer_id: str,
                      success_url: str, cancel_url: str) -> str:
        marks = {"kassa_customer_id": kassa_customer_id, "kassa_environment": self.environment}
        session = self.client.v1.checkout.sessions.create(params={
            "mode": "setup", "customer": customer_reference,
            "payment_method_types": list(self.method_types),
            "success_url": success_url, "cancel_url": cancel_url,
            "metadata": marks, "setup_intent_data": {"metadata": marks},
        })  # type: ignore[arg-type]
        return str(session.url)

    def collected(self, *, setup_intent: str | None = None,
                  payment_method: str | None = None) -> CollectedMethod | None:
        """What a succeeded SetupIntent (or a payment method) collected; None when it is not a
        method Kassa can charge (a type it does not know, or not attached to a customer)."""
        if setup_intent is not None:
            intent = self.client.v1.setup_intents.retrieve(
                setup_intent, params={"expand": ["payment_method"]})
            if intent.status != "succeeded" or intent.payment_method is None:
                return None
            found = intent.payment_method
            if isinstance(found, str):
                found = self.client.v1.payment_methods.retrieve(found)
            customer = found.customer or intent.customer
        else:
            assert payment_method is not None
            found = self.client.v1.payment_methods.retrieve(payment_method)
            customer = found.customer
        if isinstance(customer, stripe.Customer):
            customer = customer.id
        if found.type not in KASSA_TYPE or not customer:
            return None
        return CollectedMethod(found.id, str(customer), KASSA_TYPE[found.type],
                               method_details(found))


def intent_result(intent: Any) -> ProcessorResult:
    """A PaymentIntent's status as a payment's outcome."""
    status = intent.status
    if status == "succeeded":
        return ProcessorResult("succeeded", intent.id)
    if status == "processing":
        return ProcessorResult("processing", intent.id)
    if status == "requires_action":
        return ProcessorResult("failed", intent.id, f"{REQUIRES_ACTION}: the customer must "
                               "authenticate this payment (3-D Secure)")
    error = getattr(intent, "last_payment_error", None)
    if error is not None:
        code = getattr(error, "decline_code", None) or getattr(error, "code", None)
        return ProcessorResult("failed", intent.id, f"{code or 'payment_failed'}: "
                               f"{getattr(error, 'message', None) or 'the payment failed'}")
    return ProcessorResult("failed", intent.id, f"payment_{status}")


def refund_result(found: Any) -> ProcessorResult:
    """A Refund's status: ``pending`` (bank debits) is processing."""
    if found.status == "succeeded":
        return ProcessorResult("succeeded", found.id)
    if found.status in ("pending", "requires_action"):
        return ProcessorResult("processing", found.id)
    return ProcessorResult("failed", found.id, field(found, "failure_reason") or found.status)


def method_details(found: Any) -> dict[str, str]:
    """What the portal and the dashboard show of a Stripe payment method."""
    details: dict[str, str] = {}
    if found.type == "card" and field(found, "card"):
        card = found.card
        details["brand"] = str(card.brand).replace("_", " ").title()
        details["last4"] = str(card.last4)
        if field(card, "exp_month") and field(card, "exp_year"):
            details["exp"] = f"{int(card.exp_month):02d}/{int(card.exp_year) % 100:02d}"
        wallet = field(card, "wallet")
        if wallet and field(wallet, "type"):
            details["wallet"] = WALLETS.get(wallet.type, str(wallet.type).replace("_", " "))
    elif found.type == "us_bank_account" and field(found, "us_bank_account"):
        bank = found.us_bank_account
        details["brand"] = str(field(bank, "bank_name") or "Bank account")
        details["last4"] = str(bank.last4)
    elif found.type == "sepa_debit" and field(found, "sepa_debit"):
        sepa = found.sepa_debit
        details["brand"] = "SEPA Direct Debit"
        details["last4"] = str(sepa.last4)
        if field(sepa, "country"):
            details["country"] = str(sepa.country)
    return details
