"""Wallets: balances, top-ups, free grants, debits and their transactions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx, Listing, page_body
from kassa.api.schemas.common import ListResponse
from kassa.api.schemas.wallets import WalletAmount, WalletCreate, WalletTopUp
from kassa.resources.wallets import Wallet, WalletTransaction
from kassa.services.billing import wallets

router = APIRouter(tags=["wallets"])


@router.post("/wallets", status_code=201, response_model=Wallet)
def create_wallet(body: WalletCreate, ctx: EnvCtx) -> dict[str, Any]:
    return wallets.create_wallet(ctx, body.model_dump())


@router.get("/wallets", response_model=ListResponse[Wallet])
def list_wallets(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: customer_id, currency, status."""
    return page_body(wallets.list_wallets(ctx, query))


@router.get("/wallets/{wallet_id}", response_model=Wallet)
def get_wallet(wallet_id: str, ctx: EnvCtx) -> dict[str, Any]:
    return wallets.get_wallet(ctx, wallet_id)


@router.post("/wallets/{wallet_id}/top-up", status_code=201, response_model=WalletTopUp)
def top_up(wallet_id: str, body: WalletAmount, ctx: EnvCtx) -> dict[str, Any]:
    """Invoice a top-up (charged to the default payment method); the wallet is credited when the
    invoice is paid."""
    return wallets.top_up(ctx, wallet_id, body.amount)


@router.post("/wallets/{wallet_id}/grants", status_code=201, response_model=WalletTransaction)
def wallet_grant(wallet_id: str, body: WalletAmount, ctx: EnvCtx) -> dict[str, Any]:
    """Add free funds to the wallet."""
    return wallets.grant(ctx, wallet_id, body.amount, body.reason)


@router.post("/wallets/{wallet_id}/debit", status_code=201, response_model=WalletTransaction)
def wallet_debit(wallet_id: str, body: WalletAmount, ctx: EnvCtx) -> dict[str, Any]:
    return wallets.debit(ctx, wallet_id, body.amount, body.reason)


@router.get("/wallets/{wallet_id}/transactions", response_model=ListResponse[WalletTransaction])
def wallet_transactions(wallet_id: str, ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    return page_body(wallets.list_transactions(ctx, query, wallet_id=wallet_id))


@router.get("/wallet-grants", response_model=ListResponse[WalletTransaction])
def wallet_grants(ctx: EnvCtx, query: Listing) -> dict[str, Any]:
    """Filters: wallet_id."""
    return page_body(wallets.list_transactions(ctx, query, kind="credit_grant"))
