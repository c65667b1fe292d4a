"""Environment settings: Settings → Invoicing, Subscriptions and Customer Portal, a GET and a
PATCH each. Each environment has its own; a key reads and changes those of its environment only.
"""

# No ``from __future__ import annotations``: the routes are made in a loop, and FastAPI reads the
# body and response types of each from the function's real annotations.
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from kassa.api.deps import EnvCtx
from kassa.api.schemas.settings import (
    CompanySettingsUpdate,
    CurrencySettingsUpdate,
    CustomerPortalSettingsUpdate,
    InvoicingSettingsUpdate,
    SubscriptionSettingsUpdate,
)
from kassa.api.schemas.settings import SettingsPatch as Patch
from kassa.resources.settings import (
    CompanySettings,
    CurrencySettings,
    CustomerPortalSettings,
    InvoicingSettings,
    SubscriptionSettings,
)
from kassa.services import environment_settings as settings

router = APIRouter(prefix="/settings", tags=["settings"])

SECTIONS: list[tuple[str, str, type[BaseModel], type[Patch], str, str]] = [
    ("invoicing", "invoicing", InvoicingSettings, InvoicingSettingsUpdate,
     "The defaults an invoice or subscription takes when its request names none, and the "
     "retry schedule of declined payments.",
     "Change the given fields; invoices and subscriptions created from now on take them."),
    ("subscriptions", "subscriptions", SubscriptionSettings, SubscriptionSettingsUpdate,
     "Auto-renew by default, and the renewal notice (``subscription.ending_soon``) in days.",
     "Change the given fields (``renewal_notice_days: null`` returns to the installation's)."),
    ("customer-portal", "customer_portal", CustomerPortalSettings, CustomerPortalSettingsUpdate,
     "The defaults of customer portal sessions: which sections show, what a customer may do, "
     "the retention offer and the plans available for plan changes.",
     "Change the given fields; a nested section merges field by field."),
    ("company", "company", CompanySettings, CompanySettingsUpdate,
     "The seller printed on invoice and credit note PDFs: name, address, email, tax id, logo "
     "and footer.",
     "Change the given fields (null clears one); PDFs rendered from now on print them, those "
     "of invoices issued before keep what they printed."),
    ("currencies", "currencies", CurrencySettings, CurrencySettingsUpdate,
     "Multi-currency: the base currency (new customers' default, the first pivot of cross "
     "rates) and the settlement currency reports convert MRR into.",
     "Change the given fields (null returns one to its default); customers created from now "
     "on default to the base currency, reports convert into the settlement currency."),
]


def _add(path: str, section: str, view: type[BaseModel], patch: type[Patch], read_doc: str,
         change_doc: str) -> None:
    def read(ctx: EnvCtx) -> dict[str, Any]:
        return settings.get_settings(ctx, section)

    def change(body: patch, ctx: EnvCtx) -> dict[str, Any]:  # type: ignore[valid-type]
        return settings.update_settings(ctx, section, body.changes())

    name = section.replace("-", "_")
    router.add_api_route(f"/{path}", read, methods=["GET"], response_model=view,
                         name=f"get_{name}_settings", description=read_doc,
                         summary=f"Get {section.replace('_', ' ')} settings")
    router.add_api_route(f"/{path}", change, methods=["PATCH"], response_model=view,
                         name=f"update_{name}_settings", description=change_doc,
                         summary=f"Update {section.replace('_', ' ')} settings")


for _section in SECTIONS:
    _add(*_section)
