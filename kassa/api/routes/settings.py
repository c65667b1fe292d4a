"""Environment settings: Settings → Invoicing, Subscriptions and Customer Portal. Each
environment has its own; a key reads and changes those of its environment only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kassa.api.deps import EnvCtx
from kassa.api.schemas.settings import (
    CustomerPortalSettingsUpdate,
    InvoicingSettingsUpdate,
    SubscriptionSettingsUpdate,
)
from kassa.resources.settings import CustomerPortalSettings, InvoicingSettings, SubscriptionSettings
from kassa.services import environment_settings as settings

router = APIRouter(prefix="/settings", tags=["settings"])


@router.get("/invoicing", response_model=InvoicingSettings)
def get_invoicing(ctx: EnvCtx) -> dict[str, Any]:
    """The defaults an invoice or subscription takes when its request names none, and the
    retry schedule of declined payments."""
    return settings.get_settings(ctx, "invoicing")


@router.patch("/invoicing", response_model=InvoicingSettings)
def update_invoicing(body: InvoicingSettingsUpdate, ctx: EnvCtx) -> dict[str, Any]:
    """Change the given fields; new invoices and subscriptions take them from now on."""
    return settings.update_settings(ctx, "invoicing", body.changes())


@router.get("/subscriptions", response_model=SubscriptionSettings)
def get_subscriptions(ctx: EnvCtx) -> dict[str, Any]:
    """Auto-renew by default, and the renewal notice (``subscription.ending_soon``) in days."""
    return settings.get_settings(ctx, "subscriptions")


@router.patch("/subscriptions", response_model=SubscriptionSettings)
def update_subscriptions(body: SubscriptionSettingsUpdate, ctx: EnvCtx) -> dict[str, Any]:
    """Change the given fields (``renewal_notice_days: null`` returns to the installation's)."""
    return settings.update_settings(ctx, "subscriptions", body.changes())


@router.get("/customer-portal", response_model=CustomerPortalSettings)
def get_customer_portal(ctx: EnvCtx) -> dict[str, Any]:
    """The defaults of the customer portal's sessions: which sections show, what a customer
    may do, the retention offer and the plans available for plan changes."""
    return settings.get_settings(ctx, "customer_portal")


@router.patch("/customer-portal", response_model=CustomerPortalSettings)
def update_customer_portal(body: CustomerPortalSettingsUpdate, ctx: EnvCtx) -> dict[str, Any]:
    """Change the given fields; a nested section merges field by field."""
    return settings.update_settings(ctx, "customer_portal", body.changes())
