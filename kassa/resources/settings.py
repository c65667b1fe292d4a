"""Environment settings as the API shows them, and their defaults.

Each section's defaults are what Kassa does when nothing is set, so an environment that never
saved a section behaves as Kassa did before the settings existed. The service reads a stored
section through these models (``model_validate``) once, where the behaviour happens."""

from __future__ import annotations

from pydantic import Field

from kassa.resources.fields import ResponseSchema, Timestamp


class InvoicingSettings(ResponseSchema):
    payment_terms: str = Field(
        "due_on_receipt",
        description="Payment terms of an invoice or subscription whose request names none")
    auto_issue: bool = Field(
        True, description="Issue invoices at once when the request does not say (auto_issue, "
        "billing.auto_issue_invoices)")
    auto_pay: bool = Field(
        False, description="Charge the default payment method on issue when the request does "
        "not say (auto_pay, billing.auto_pay_invoices)")
    payment_retry_hours: list[int] = Field(
        [], description="Failed payment handling: hours to wait after each declined payment "
        "before the collect_payment job charges again; one entry per retry, empty: no "
        "automatic retries")
    updated_at: Timestamp | None = None


class SubscriptionSettings(ResponseSchema):
    auto_renew: bool = Field(
        True, description="Auto-renew of a new subscription whose renewal names none")
    renewal_notice_days: int | None = Field(
        None, description="Renewal notice: days before a term ends that "
        "subscription.ending_soon fires; null: the installation's "
        "KASSA_SUBSCRIPTION_ENDING_SOON_DAYS")
    renewal_notice_days_in_effect: int = Field(
        30, description="renewal_notice_days, or the installation's when that is null")
    updated_at: Timestamp | None = None


class PlanOverviewSettings(ResponseSchema):
    show_section: bool = True
    allow_subscription_cancel: bool = False
    allow_plan_change: bool = False


class SectionSettings(ResponseSchema):
    show_section: bool = True


class UsageSettings(ResponseSchema):
    show_section: bool = False


class CustomerPortalSettings(ResponseSchema):
    plan_overview_settings: PlanOverviewSettings = PlanOverviewSettings()
    invoice_list_settings: SectionSettings = SectionSettings()
    billing_details_settings: SectionSettings = SectionSettings()
    usage_settings: UsageSettings = UsageSettings()
    retention_offer_text: str | None = Field(
        None, description="Shown to a customer before a cancellation in the portal completes")
    available_plan_ids: list[str] = Field(
        [], description="Plans a customer may change to in the portal")
    updated_at: Timestamp | None = None


class CompanySettings(ResponseSchema):
    """The seller on invoice and credit note PDFs."""

    name: str | None = Field(None, description="The seller's name (null: none printed)")
    address: str | None = Field(None, description="Postal address, one line per line")
    email: str | None = Field(None, description="Billing contact address")
    tax_id: str | None = Field(None, description="VAT number or other tax id")
    logo: str | None = Field(
        None, description="A PNG, JPEG or SVG image as a data: URL (base64), at most 100 KB")
    footer: str | None = Field(None, description="Printed at the foot of every page")
    updated_at: Timestamp | None = None
