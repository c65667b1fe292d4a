"""Environment settings as the API shows them, and their defaults.

Each section's defaults are what Kassa does when nothing is set, so an environment that never
saved a section behaves as Kassa did before the settings existed. The service reads a stored
section through these models (``model_validate``) once, where the behaviour happens."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kassa.resources.fields import ResponseSchema, Timestamp


class CustomerEmailSettings(ResponseSchema):
    """Which customer emails Kassa sends by itself (kassa.services.customer_emails), each to the
    customer's email address, from an editable email template (GET /email-templates) and
    recorded in GET /emails. All off by default: an environment that never turned one on mails
    nobody."""

    payment_receipt: bool = Field(
        False, description="Send a receipt with the amount paid when a payment succeeds "
        "(template payment_receipt)")
    payment_failed: bool = Field(
        False, description="Tell the customer when a payment fails, with a customer portal link "
        "(valid 24 hours) to update the payment method (template payment_failed)")
    cancellation_scheduled: bool = Field(
        False, description="Tell the customer when a cancellation is scheduled, with its "
        "effective date (template cancellation_scheduled)")
    renewal_notice: bool = Field(
        False, description="Remind the customer before an auto-renewing term renews, when "
        "subscription.ending_soon fires (Settings → Subscriptions renewal_notice_days before "
        "the term end), with the renewal date and amount (template renewal_notice)")


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
    send_invoice_emails: bool = Field(
        False, description="Email each issued invoice, its PDF attached, to the customer's "
        "email address (template invoice_issued)")
    customer_emails: CustomerEmailSettings = Field(
        CustomerEmailSettings(), description="The other customer emails, each on or off")
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
    failed_payment_automation_id: str | None = Field(
        None, description="Failed payment handling: the dunning automation (an automation of "
        "this environment triggered by payment.failed). While it is active it handles every "
        "failed payment, and the retry schedule of Settings → Invoicing (payment_retry_hours) "
        "is not applied; while it is a draft or paused, or when this is null, the retry "
        "schedule applies")
    failed_payment_handling: Literal["automation", "retry_schedule"] = Field(
        "retry_schedule", description="What handles a payment that fails now: the named "
        "automation (it is active) or the retry schedule")
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


class CurrencySettings(ResponseSchema):
    """Multi-currency: the base currency (new customers' default, the preferred pivot of cross
    rates) and the settlement currency reports convert MRR into."""

    base_currency: str | None = Field(
        None, description="New customers' currency when their request names none, and the "
        "first pivot of a cross rate; null in a PATCH: the installation's "
        "KASSA_DEFAULT_CURRENCY (always shown as in effect)")
    settlement_currency: str | None = Field(
        None, description="The currency reports (GET /reports/mrr, the dashboard's Home) "
        "convert MRR into, with the rates used; null in a PATCH: the base currency")
    updated_at: Timestamp | None = None
