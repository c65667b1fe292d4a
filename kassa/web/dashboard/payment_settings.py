"""Settings → Payments: which payment processor each environment uses, the payment methods it
takes, and where Stripe sends its webhooks. Read-only: the processors are the installation's
configuration (``KASSA_STRIPE_*``, see the README), not an environment setting."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.payments import KASSA_TYPE
from kassa.services.links import absolute
from kassa.store.tables import ENVIRONMENTS
from kassa.web.auth import Viewing
from kassa.web.rendering import page

router = APIRouter(prefix="/settings")

LABELS = {"card": "Cards (Visa, Mastercard, American Express…), with Apple Pay and Google Pay",
          "us_bank_account": "ACH Direct Debit (US bank accounts)",
          "sepa_debit": "SEPA Direct Debit (euro bank accounts)"}


def processor_overview(kassa: Any, environment: str, request_base: str) -> dict[str, Any]:
    """What Settings → Payments shows of one environment."""
    processor = kassa.processors.get(environment)
    name = getattr(processor, "name", None)
    methods: list[tuple[str, str]] = []
    webhook_url = None
    if name == "stripe":
        mode = "live mode" if processor.live else "test mode"
        title = f"Stripe ({mode})"
        says = ("Customers add a card or bank account on Stripe's hosted page (from the billing "
                "portal); Kassa charges it off-session and never sees its number.")
        methods = [(KASSA_TYPE[t], LABELS[t]) for t in processor.method_types]
        webhook_url = absolute(kassa.settings, f"/integrations/stripe/webhooks/{environment}",
                               request_base)
    elif name == "sandbox":
        title = "Kassa's payment simulator"
        says = "Test payment methods decide each outcome; no money moves."
        methods = [("card", "Test cards (succeed, decline, decline once)")]
    else:
        title = "None"
        says = ("Invoices are paid by payments recorded by hand (POST /invoices/{id}/payments). "
                "Set KASSA_STRIPE_SECRET_KEY_" + environment.upper() + " to charge through "
                "Stripe.")
    methods.append(("wire", "Wire transfer (recorded by hand)"))
    return {"environment": environment, "title": title, "says": says, "methods": methods,
            "webhook_url": webhook_url,
            "webhook_secret": getattr(kassa.settings, f"stripe_webhook_secret_{environment}")
            is not None}


@router.get("/payments", name="payments_settings")
def payments_page(request: Request, visitor: Viewing) -> Response:
    base = str(request.base_url).removesuffix("/dashboard/").rstrip("/")
    found = [processor_overview(visitor.kassa, env, base) for env in ENVIRONMENTS]
    found.sort(key=lambda o: o["environment"] != visitor.environment)  # this one first
    return page(request, "settings/payments.html", active="settings", title="Payments",
                environments=found)
