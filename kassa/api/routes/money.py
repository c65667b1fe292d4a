"""Payment methods, payments, refunds, credit grants, wallets and credit notes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.billing import (
    CreditGrantCreate,
    CreditNoteApply,
    CreditNoteCreate,
    PaymentMethodCreate,
    WalletAmount,
    WalletCreate,
)
from kassa.services.billing import credit_notes, credits, payments, wallets

router = APIRouter()


@router.post("/customers/{customer_id}/payment-methods", status_code=201, tags=["payments"])
def add_payment_method(customer_id: str, body: PaymentMethodCreate, ctx: EnvCtx) -> dict[str, Any]:
    """Attach a method. The first one (or ``default: true``) becomes the default charged by
    auto-pay. In the sandbox ``test_behavior`` makes the simulated processor succeed, decline,
    or decline once."""
    return payments.add_method(ctx, customer_id, body.model_dump())


@router.get("/customers/{customer_id}/payment-methods", tags=["payments"])
def list_payment_methods(customer_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return {"data": payments.list_methods(ctx, customer_id)}


@router.post("/customers/{customer_id}/payment-methods/{method_id}/default", tags=["payments"])
def default_payment_method(customer_id: str, method_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return payments.set_default(ctx, customer_id, method_id)


@router.delete("/customers/{customer_id}/payment-methods/{method_id}", tags=["payments"])
def detach_payment_method(customer_id: str, method_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return payments.detach(ctx, customer_id, method_id)


@router.get("/payments", tags=["payments"])
def list_payments(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, invoice_id, status."""
    return page_body(payments.list_payments(ctx, query))


@router.get("/payments/{payment_id}", tags=["payments"])
def get_payment(payment_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return payments.get_payment(ctx, payment_id)


@router.get("/refunds", tags=["payments"])
def list_refunds(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    return page_body(payments.list_refunds(ctx, query))


@router.get("/refunds/{refund_id}", tags=["payments"])
def get_refund(refund_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return payments.get_refund(ctx, refund_id)


@router.post("/credit-grants", status_code=201, tags=["credits"])
def create_credit_grant(body: CreditGrantCreate, ctx: EnvCtx) -> dict[str, Any]:
    """Grant monetary or unit credit; applied to invoices at issue, earliest expiry first, then
    lowest priority, then oldest."""
    return credits.create_grant(ctx, body.model_dump())


@router.get("/credit-grants", tags=["credits"])
def list_credit_grants(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, status, type."""
    return page_body(credits.list_grants(ctx, query))


@router.get("/credit-grants/{grant_id}", tags=["credits"])
def get_credit_grant(grant_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return credits.get_grant(ctx, grant_id)


@router.post("/credit-grants/{grant_id}/void", tags=["credits"])
def void_credit_grant(grant_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return credits.void_grant(ctx, grant_id)


@router.get("/customers/{customer_id}/credit-balance", tags=["credits"])
def credit_balance(customer_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return credits.customer_balance(ctx, customer_id)


@router.post("/wallets", status_code=201, tags=["wallets"])
def create_wallet(body: WalletCreate, ctx: EnvCtx) -> dict[str, Any]:
    return wallets.create_wallet(ctx, body.model_dump())


@router.get("/wallets", tags=["wallets"])
def list_wallets(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, currency, status."""
    return page_body(wallets.list_wallets(ctx, query))


@router.get("/wallets/{wallet_id}", tags=["wallets"])
def get_wallet(wallet_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return wallets.get_wallet(ctx, wallet_id)


@router.post("/wallets/{wallet_id}/top-up", status_code=201, tags=["wallets"])
def top_up(wallet_id: str, body: WalletAmount, ctx: EnvCtx) -> dict[str, Any]:
    """Invoice a top-up (charged to the default payment method); the wallet is credited when the
    invoice is paid."""
    return wallets.top_up(ctx, wallet_id, body.amount)


@router.post("/wallets/{wallet_id}/grants", status_code=201, tags=["wallets"])
def wallet_grant(wallet_id: str, body: WalletAmount, ctx: EnvCtx) -> dict[str, Any]:
    """Add free funds to the wallet."""
    return wallets.grant(ctx, wallet_id, body.amount, body.reason)


@router.post("/wallets/{wallet_id}/debit", status_code=201, tags=["wallets"])
def wallet_debit(wallet_id: str, body: WalletAmount, ctx: EnvCtx) -> dict[str, Any]:
    return wallets.debit(ctx, wallet_id, body.amount, body.reason)


@router.get("/wallets/{wallet_id}/transactions", tags=["wallets"])
def wallet_transactions(wallet_id: str, ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    return page_body(wallets.list_transactions(ctx, query, wallet_id=wallet_id))


@router.get("/wallet-grants", tags=["wallets"])
def wallet_grants(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: wallet_id."""
    return page_body(wallets.list_transactions(ctx, query, kind="credit_grant"))


@router.post("/credit-notes", status_code=201, tags=["credit notes"])
def create_credit_note(body: CreditNoteCreate, ctx: EnvCtx) -> dict[str, Any]:
    """A draft credit note for an issued or paid invoice, by lines or by amount."""
    return credit_notes.create_credit_note(ctx, body.model_dump())


@router.get("/credit-notes", tags=["credit notes"])
def list_credit_notes(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, invoice_id, status."""
    return page_body(credit_notes.list_credit_notes(ctx, query))


@router.get("/credit-notes/{note_id}", tags=["credit notes"])
def get_credit_note(note_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return credit_notes.get_credit_note(ctx, note_id)


@router.post("/credit-notes/{note_id}/apply", tags=["credit notes"])
def apply_credit_note(note_id: str, body: CreditNoteApply, ctx: EnvCtx) -> dict[str, Any]:
    """``refund`` to the original payment, or ``credit`` (off the amount due, the rest to the
    customer's credit balance)."""
    return credit_notes.apply_credit_note(ctx, note_id, body.resolution)


@router.post("/credit-notes/{note_id}/void", tags=["credit notes"])
def void_credit_note(note_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return credit_notes.void_credit_note(ctx, note_id)
