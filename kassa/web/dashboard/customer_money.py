"""Customers -> [Customer] -> Credits (the balance, the grants, Grant Credits) and Wallets
(balances, Create Wallet, top up), through the services the credit and wallet API routes call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from kassa.api.schemas.credits import CreditGrantCreate
from kassa.api.schemas.wallets import WalletAmount, WalletCreate
from kassa.domain.errors import KassaError, NotFound
from kassa.services import catalog, customers
from kassa.services.billing import credits, invoices, wallets
from kassa.store.queries import ListQuery
from kassa.web.auth import Acting, ActingForm, Viewing, Visitor
from kassa.web.dashboard.customer_pages import customer_page, listed
from kassa.web.dashboard.listing import PageNumber
from kassa.web.forms import field_errors, parsed
from kassa.web.rendering import url

router = APIRouter(prefix="/customers/{customer_id}")

GRANT_INPUTS = {name: name for name in ("amount", "type", "metric_id", "expires_at", "reason")}
CREDIT_TYPES = [("monetary", "Monetary"), ("units", "Units")]
WALLETS_SHOWN = 50  # a customer holds one active wallet per currency


@router.get("/credits", name="customer_credits")
def customer_credits(request: Request, visitor: Viewing, customer_id: str,
                     page_number: PageNumber = 1) -> Response:
    """The Credits tab: what is left to spend, and every grant, newest first."""
    customer, rows = listed(visitor, customer_id, credits.list_grants, page_number)
    return customer_page(request, visitor, customer, "customer_credits", "customers/credits.html",
                         balance=credits.customer_balance(visitor.ctx, customer["id"]), **rows)


def _metrics(visitor: Visitor) -> list[tuple[str, str]]:
    listed = catalog.list_metrics(visitor.ctx, ListQuery(limit=100, sort=("name", "asc"),
                                                         filters={"archived": ["false"]}))
    return [("", "Any metric")] + [(m["id"], m["name"]) for m in listed.rows]


def _grant_page(request: Request, visitor: Visitor, customer: dict[str, Any], status: int = 200,
                **context: Any) -> Response:
    context.setdefault("values", {"type": "monetary"})
    return customer_page(request, visitor, customer, "customer_credits",
                         "customers/grant_credits.html", status=status,
                         credit_types=CREDIT_TYPES, metrics=_metrics(visitor), **context)


@router.get("/credits/grant", name="grant_credits")
def grant_credits_form(request: Request, visitor: ActingForm, customer_id: str) -> Response:
    return _grant_page(request, visitor, customers.get_customer(visitor.ctx, customer_id))


def form_instant(text: str) -> str | None:
    """A ``datetime-local`` input's value as the API's RFC 3339 instant (read as UTC)."""
    text = text.strip()
    if not text:
        return None
    return text + ("" if text.endswith("Z") or "+" in text else "Z")


@router.post("/credits/grant")
def grant_credits(request: Request, visitor: Acting, customer_id: str) -> Response:
    """Grant: the amount and type (monetary, in the customer's currency, or units), an optional
    expiration and the reason, as ``POST /credit-grants`` takes them."""
    customer = customers.get_customer(visitor.ctx, customer_id)
    form = visitor.form
    kind = form.text("type") or "monetary"
    body = {"customer_id": customer["id"], "type": kind, "amount": form.text("amount"),
            "expires_at": form_instant(form.get("expires_at")),
            "reason": form.text("reason") or None}
    if kind == "units" and form.text("metric_id"):
        body["metric_id"] = form.text("metric_id")
    try:
        credits.create_grant(visitor.ctx, parsed(CreditGrantCreate, body).model_dump())
    except KassaError as exc:
        return _grant_page(request, visitor, customer, status=422, values=form.values(),
                           errors=field_errors(exc, GRANT_INPUTS))
    return RedirectResponse(
        url(request, "customer_credits", customer_id=customer["id"]) + "?done=granted",
        status_code=303)


def _wallets_page(request: Request, visitor: Visitor, customer: dict[str, Any],
                  status: int = 200, **context: Any) -> Response:
    found = wallets.list_wallets(visitor.ctx, ListQuery(
        limit=WALLETS_SHOWN, sort=("created_at", "asc"), filters={"customer_id": [customer["id"]]}))
    context = {"topped_up": None, "wallet_errors": {}, "errors": {}} | context
    return customer_page(request, visitor, customer, "customer_wallets", "customers/wallets.html",
                         status=status, wallets=found.rows, **context)


@router.get("/wallets", name="customer_wallets")
def customer_wallets(request: Request, visitor: Viewing, customer_id: str,
                     topped_up: str = "") -> Response:
    """The Wallets tab; after a top-up (``?topped_up=``) it names the top-up's invoice."""
    customer = customers.get_customer(visitor.ctx, customer_id)
    invoice = invoices.get_invoice(visitor.ctx, topped_up) if topped_up else None
    if invoice is not None and invoice["customer_id"] != customer["id"]:
        invoice = None
    return _wallets_page(request, visitor, customer, topped_up=invoice)


@router.post("/wallets", name="create_wallet")
def create_wallet(request: Request, visitor: Acting, customer_id: str) -> Response:
    """Create Wallet, in the customer's currency unless the form names another."""
    customer = customers.get_customer(visitor.ctx, customer_id)
    body = {"customer_id": customer["id"], "currency": visitor.form.text("currency") or None}
    try:
        wallets.create_wallet(visitor.ctx, parsed(WalletCreate, body).model_dump())
    except KassaError as exc:
        return _wallets_page(request, visitor, customer, status=422,
                             errors=field_errors(exc, {"currency": "currency"}),
                             values=visitor.form.values())
    return RedirectResponse(
        url(request, "customer_wallets", customer_id=customer["id"]) + "?done=wallet",
        status_code=303)


@router.post("/wallets/{wallet_id}/top-up", name="top_up_wallet")
def top_up_wallet(request: Request, visitor: Acting, customer_id: str,
                  wallet_id: str) -> Response:
    """Top up: invoices the amount, charged to the default payment method; the wallet is
    credited once that invoice is paid. The tab then names the invoice."""
    customer = customers.get_customer(visitor.ctx, customer_id)
    if wallets.get_wallet(visitor.ctx, wallet_id)["customer_id"] != customer["id"]:
        raise NotFound(f"Wallet {wallet_id!r} was not found.")
    try:
        body = parsed(WalletAmount, {"amount": visitor.form.text("amount")})
        done = wallets.top_up(visitor.ctx, wallet_id, body.amount)
    except KassaError as exc:
        message = field_errors(exc, {"amount": "amount"})
        return _wallets_page(request, visitor, customer, status=422,
                             wallet_errors={wallet_id: next(iter(message.values()))},
                             values=visitor.form.values())
    return RedirectResponse(
        url(request, "customer_wallets", customer_id=customer["id"])
        + f"?topped_up={done['invoice']['id']}", status_code=303)
