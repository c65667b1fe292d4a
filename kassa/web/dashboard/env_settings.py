"""Settings -> Invoicing, Subscriptions, Customer Portal, Company and Currencies: the environment's settings, read
by everyone, changed by admins. A form is read by the API's PATCH schema, and saved by the same
service as ``PATCH /settings/...``; what either refuses is shown beside its input."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from kassa.api.schemas.settings import (
    CompanySettingsUpdate,
    CurrencySettingsUpdate,
    CustomerPortalSettingsUpdate,
    InvoicingSettingsUpdate,
    SubscriptionSettingsUpdate,
)
from kassa.api.schemas.subscriptions import PaymentTerms
from kassa.domain.errors import KassaError
from kassa.services import environment_settings, fx, plans
from kassa.store.queries import ListQuery
from kassa.web.auth import Managing, Viewing, Visitor
from kassa.web.forms import Form, field_errors, parsed
from kassa.web.rendering import page, url

router = APIRouter(prefix="/settings")

TERMS = [(t, "Due on receipt" if t == "due_on_receipt" else f"Net {t[4:]} days")
         for t in PaymentTerms.__args__]
PORTAL_CHECKS = [
    ("plan_overview_settings.show_section", "Show plan overview"),
    ("plan_overview_settings.allow_subscription_cancel", "Allow subscription cancellation"),
    ("plan_overview_settings.allow_plan_change", "Allow plan changes"),
    ("invoice_list_settings.show_section", "Show invoices"),
    ("billing_details_settings.show_section", "Show billing information"),
    ("usage_settings.show_section", "Show usage"),
]
# Settings → Invoicing: the emails Kassa sends customers by itself (kassa.services.customer_emails).
EMAIL_CHECKS = [
    ("send_invoice_emails", "Email issued invoices (PDF attached)"),
    ("customer_emails.payment_receipt", "Payment receipts"),
    ("customer_emails.payment_failed", "Payment failed notices (with a link to update the "
     "payment method)"),
    ("customer_emails.cancellation_scheduled", "Cancellation scheduled notices"),
    ("customer_emails.renewal_notice", "Renewal notices"),
]
PLAN_FIELD = "plan:"  # a checkbox per plan: plan:<id>


def _whole(text: str) -> Any:
    """A number as JSON carries it; what does not read as one is left for the schema to refuse."""
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


def _flag(form: Form, name: str) -> bool:
    return form.get(name) == "true"


def _invoicing_body(form: Form) -> dict[str, Any]:
    hours = [_whole(h) for h in re.split(r"[\s,;]+", form.text("payment_retry_hours")) if h]
    body: dict[str, Any] = {
        "payment_terms": form.text("payment_terms"), "auto_issue": _flag(form, "auto_issue"),
        "auto_pay": _flag(form, "auto_pay"), "payment_retry_hours": hours}
    for name, _ in EMAIL_CHECKS:
        section, _dot, key = name.rpartition(".")
        (body.setdefault(section, {}) if section else body)[key] = _flag(form, name)
    return body


def _subscriptions_body(form: Form) -> dict[str, Any]:
    days = form.text("renewal_notice_days")
    return {"auto_renew": _flag(form, "auto_renew"),
            "renewal_notice_days": _whole(days) if days else None,
            "failed_payment_automation_id": form.text("failed_payment_automation_id") or None}


def _portal_body(form: Form) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, _ in PORTAL_CHECKS:
        section, key = name.split(".")
        body.setdefault(section, {})[key] = _flag(form, name)
    body["retention_offer_text"] = form.text("retention_offer_text") or None
    body["available_plan_ids"] = [name[len(PLAN_FIELD):] for name in form.fields
                                  if name.startswith(PLAN_FIELD) and _flag(form, name)]
    return body


COMPANY_TEXT = ("name", "address", "email", "tax_id", "footer")


def _company_body(form: Form) -> dict[str, Any]:
    """The seller on PDFs (an emptied field is cleared; the logo is set through the API: a
    data URL is larger than a form may be)."""
    return {name: form.text(name).replace("\r\n", "\n") or None  # a textarea sends CRLF
            for name in COMPANY_TEXT}


CURRENCY_FIELDS = ("base_currency", "settlement_currency")


def _currencies_body(form: Form) -> dict[str, Any]:
    """An emptied field returns to its default (null)."""
    return {name: form.text(name).strip().upper() or None for name in CURRENCY_FIELDS}


def _values(section: str, current: dict[str, Any]) -> dict[str, str]:
    """The stored settings as the form's fields (checkboxes "true" when on)."""
    flat: dict[str, Any] = {}
    for name, value in current.items():
        if isinstance(value, dict):
            flat |= {f"{name}.{key}": inner for key, inner in value.items()}
        else:
            flat[name] = value
    values = {name: ("true" if value else "") if isinstance(value, bool)
              else "" if value is None else str(value) for name, value in flat.items()}
    if section == "invoicing":
        values["payment_retry_hours"] = ", ".join(map(str, current["payment_retry_hours"]))
    if section == "customer_portal":
        values |= {PLAN_FIELD + plan_id: "true" for plan_id in current["available_plan_ids"]}
    return values


@dataclass(frozen=True)
class Section:
    key: str  # environment_settings.SECTIONS
    title: str
    template: str
    schema: type[BaseModel]
    body: Callable[[Form], dict[str, Any]]
    inputs: dict[str, str]  # field of the schema or service -> the input showing it


SECTIONS = {
    "invoicing": Section("invoicing", "Invoicing", "settings/invoicing.html",
                         InvoicingSettingsUpdate, _invoicing_body,
                         {**{n: n for n in ("payment_terms", "auto_issue", "auto_pay",
                                            "payment_retry_hours")},
                          **{n: n for n, _ in EMAIL_CHECKS}}),
    "subscriptions": Section("subscriptions", "Subscriptions", "settings/subscriptions.html",
                             SubscriptionSettingsUpdate, _subscriptions_body,
                             {n: n for n in ("auto_renew", "renewal_notice_days",
                                             "failed_payment_automation_id")}),
    "customer_portal": Section("customer_portal", "Customer Portal",
                               "settings/customer_portal.html", CustomerPortalSettingsUpdate,
                               _portal_body,
                               {**{n: n for n, _ in PORTAL_CHECKS},
                                "retention_offer_text": "retention_offer_text",
                                "available_plan_ids": "available_plan_ids"}),
    "company": Section("company", "Company", "settings/company.html", CompanySettingsUpdate,
                       _company_body, {n: n for n in COMPANY_TEXT}),
    "currencies": Section("currencies", "Currencies", "settings/currencies.html",
                          CurrencySettingsUpdate, _currencies_body,
                          {n: n for n in CURRENCY_FIELDS}),
}


def _page(request: Request, visitor: Visitor, section: Section, *, status: int = 200,
          values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          notice: str | None = None) -> Response:
    current = environment_settings.get_settings(visitor.ctx, section.key)
    extra: dict[str, Any] = {}
    if section.key == "customer_portal":
        live = plans.list_plans(visitor.ctx, ListQuery(limit=100, sort=("name", "asc"))).rows
        extra["plans"] = live
    if section.key == "currencies":
        newest = fx.list_rates(visitor.ctx, ListQuery(limit=20, sort=("valid_from", "desc")))
        extra.update(rates=newest.rows, rates_total=newest.total,
                     installation_currency=visitor.ctx.settings.default_currency)
    if section.key == "subscriptions":
        extra["dunning"] = [("", "None: the retry schedule of Settings → Invoicing")] + [
            (a["id"], f"{a['name']} ({a['status']})")
            for a in environment_settings.dunning_candidates(visitor.ctx)]
    return page(request, section.template, status=status, active="settings",
                title=section.title, here=url(request, f"{section.key}_settings"),
                current=current, notice=notice, errors=errors or {},
                values=values if values is not None else _values(section.key, current),
                terms=TERMS, portal_checks=PORTAL_CHECKS, email_checks=EMAIL_CHECKS,
                plan_field=PLAN_FIELD,
                save=f"save_{section.key}_settings", **extra)


def _save(request: Request, visitor: Visitor, section: Section) -> Response:
    form = visitor.form
    try:
        body = parsed(section.schema, section.body(form))
        environment_settings.update_settings(visitor.ctx, section.key,
                                             body.model_dump(mode="json", exclude_unset=True))
    except KassaError as exc:
        if exc.field is None:
            raise
        return _page(request, visitor, section, status=422, values=form.values(),
                     errors=field_errors(exc, section.inputs))
    return _page(request, visitor, section, notice=f"Saved the {section.title} settings.")


def _add(path: str, section: Section) -> None:
    """GET (everyone) and POST (admins) of one section's page; named ``<key>_settings`` and
    ``save_<key>_settings``."""

    def show(request: Request, visitor: Viewing) -> Response:
        return _page(request, visitor, section)

    def save(request: Request, visitor: Managing) -> Response:
        return _save(request, visitor, section)

    router.add_api_route(path, show, methods=["GET"], name=f"{section.key}_settings")
    router.add_api_route(path, save, methods=["POST"], name=f"save_{section.key}_settings")


for _path, _key in (("/invoicing", "invoicing"), ("/subscriptions", "subscriptions"),
                    ("/customer-portal", "customer_portal"), ("/company", "company"),
                    ("/currencies", "currencies")):
    _add(_path, SECTIONS[_key])
