"""Environment settings: the PATCH bodies of Settings → Invoicing, Subscriptions and Customer
Portal (the responses, with their defaults, are in ``kassa.resources.settings``). A field left
out keeps its value; a nested portal section merges field by field."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from kassa.api.schemas.common import CurrencyCode, Flag, Integer, LongText, Schema, problem
from kassa.api.schemas.subscriptions import PaymentTerms

RetryHours = Annotated[Integer, Field(ge=1, le=24 * 30, description="1 hour to 30 days")]
NoticeDays = Annotated[Integer, Field(ge=0, le=3650)]
PlanId = Annotated[str, Field(min_length=1, max_length=80)]
AutomationId = Annotated[str, Field(min_length=1, max_length=80)]


class SettingsPatch(Schema):
    """A PATCH body: at least one field; the fields named in ``not_nullable`` never null."""

    @model_validator(mode="after")
    def _checked(self) -> SettingsPatch:
        if not self.model_fields_set:
            raise problem("body", "nothing to update")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class CustomerEmailsUpdate(SettingsPatch):
    not_nullable = ("payment_receipt", "payment_failed", "cancellation_scheduled", "renewal_notice")

    payment_receipt: Flag | None = None
    payment_failed: Flag | None = None
    cancellation_scheduled: Flag | None = None
    renewal_notice: Flag | None = None


class InvoicingSettingsUpdate(SettingsPatch):
    not_nullable = ("payment_terms", "auto_issue", "auto_pay", "payment_retry_hours",
                "send_invoice_emails", "customer_emails")

    payment_terms: PaymentTerms | None = None
    auto_issue: Flag | None = None
    auto_pay: Flag | None = None
    payment_retry_hours: Annotated[list[RetryHours], Field(max_length=10)] | None = Field(
        None, description="Hours to wait after each declined payment before the next automatic "
        "charge (at most 10 retries); [] turns automatic retries off")
    send_invoice_emails: Flag | None = Field(
        None, description="Email each issued invoice, its PDF attached, to the customer")
    customer_emails: CustomerEmailsUpdate | None = Field(
        None, description="payment_receipt, payment_failed, cancellation_scheduled, "
        "renewal_notice: each on or off (fields left out keep their values)")


class SubscriptionSettingsUpdate(SettingsPatch):
    not_nullable = ("auto_renew",)

    auto_renew: Flag | None = None
    renewal_notice_days: NoticeDays | None = Field(
        None, description="null: back to the installation's KASSA_SUBSCRIPTION_ENDING_SOON_DAYS")
    failed_payment_automation_id: AutomationId | None = Field(
        None, description="The dunning automation (triggered by payment.failed) that handles "
        "failed payments while it is active; null: the retry schedule of Settings → Invoicing")


class PlanOverviewUpdate(SettingsPatch):
    not_nullable = ("show_section", "allow_subscription_cancel", "allow_plan_change")

    show_section: Flag | None = None
    allow_subscription_cancel: Flag | None = None
    allow_plan_change: Flag | None = None


class SectionUpdate(SettingsPatch):
    not_nullable = ("show_section",)

    show_section: Flag | None = None


class CustomerPortalSettingsUpdate(SettingsPatch):
    not_nullable = ("plan_overview_settings", "invoice_list_settings", "billing_details_settings",
                "usage_settings", "available_plan_ids")

    plan_overview_settings: PlanOverviewUpdate | None = None
    invoice_list_settings: SectionUpdate | None = None
    billing_details_settings: SectionUpdate | None = None
    usage_settings: SectionUpdate | None = None
    retention_offer_text: LongText | None = Field(None, description="null: no offer")
    available_plan_ids: Annotated[list[PlanId], Field(max_length=100)] | None = None


LOGO_PATTERN = r"^data:image/(png|jpeg|svg\+xml);base64,[A-Za-z0-9+/]+={0,2}$"
Short = Annotated[str, Field(min_length=1, max_length=200)]


class CompanySettingsUpdate(SettingsPatch):
    """The seller printed on PDFs; null clears a field."""

    name: Short | None = None
    address: Annotated[str, Field(min_length=1, max_length=1000)] | None = Field(
        None, description="One line per line")
    email: Short | None = None
    tax_id: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    logo: Annotated[str, Field(max_length=140_000, pattern=LOGO_PATTERN)] | None = Field(
        None, description="data:image/png;base64,... (PNG, JPEG or SVG, at most 100 KB)")
    footer: LongText | None = None


class CurrencySettingsUpdate(SettingsPatch):
    """The base and settlement currencies; null returns a field to its default."""

    base_currency: CurrencyCode | None = Field(
        None, description="ISO 4217; null: the installation's KASSA_DEFAULT_CURRENCY")
    settlement_currency: CurrencyCode | None = Field(
        None, description="ISO 4217; null: the base currency")


__all__ = ["CompanySettingsUpdate", "CurrencySettingsUpdate", "CustomerEmailsUpdate", "CustomerPortalSettingsUpdate", "InvoicingSettingsUpdate", "SettingsPatch",
           "SubscriptionSettingsUpdate"]
