"""Customer portal sessions: the request that makes a link, and its answer."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from kassa.api.schemas.common import Schema, problem
from kassa.resources.fields import SHOWN_ONCE, Timestamp

Flag = Annotated[bool, Field(strict=True, description="true or false (JSON booleans only)")]
ReturnUrl = Annotated[str, Field(max_length=2000, pattern=r"^https?://[^\s]+$",
                                 description="An http:// or https:// URL")]


class PlanOverviewOptions(Schema):
    show_section: Flag | None = None
    allow_subscription_cancel: Flag | None = None
    allow_plan_change: Flag | None = None


class SectionOptions(Schema):
    show_section: Flag | None = None


class PortalSessionCreate(Schema):
    """``customer_id`` or ``customer_alias`` (exactly one); every section left out, or a field of
    it left out, takes the environment's default (Settings → Customer Portal)."""

    customer_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    customer_alias: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    plan_overview_settings: PlanOverviewOptions | None = None
    invoice_list_settings: SectionOptions | None = None
    billing_details_settings: SectionOptions | None = None
    usage_settings: SectionOptions | None = None
    return_url: ReturnUrl | None = Field(
        None, description="Where the portal's 'Return' link leads (none: no such link)")
    expires_in: Annotated[int, Field(ge=60, le=86_400, strict=True)] = Field(
        3600, description="Seconds the link can be opened for: 60 to 86400 (24 hours)")

    @model_validator(mode="after")
    def _one_customer(self) -> PortalSessionCreate:
        if (self.customer_id is None) == (self.customer_alias is None):
            raise problem("customer_id", "give customer_id or customer_alias (exactly one)")
        return self

    def sections(self) -> dict[str, dict[str, bool]]:
        """The sections given, with only the fields given."""
        return {
            name: value.model_dump(exclude_none=True)
            for name in ("plan_overview_settings", "invoice_list_settings",
                         "billing_details_settings", "usage_settings")
            if (value := getattr(self, name)) is not None
        }


class PortalSession(BaseModel):
    id: str = Field(description="ps_...")
    customer_id: str
    url: str = Field(description="Single use: opening it signs the browser in to the portal. "
                     f"Shown once: a replay with the same Idempotency-Key answers {SHOWN_ONCE!r}")
    return_url: str | None = None
    created_at: Timestamp
    expires_at: Timestamp
