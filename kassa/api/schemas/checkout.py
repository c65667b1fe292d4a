"""Hosted checkout sessions: the request that makes one, and the session as answered."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from kassa.api.schemas.common import Integer, Metadata, Name, Schema, problem
from kassa.api.schemas.customers import CustomerCreate
from kassa.api.schemas.portal import ReturnUrl
from kassa.resources.fields import Timestamp
from kassa.services.checkout.sessions import DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, MIN_EXPIRES_IN


class CheckoutCustomer(CustomerCreate):
    """A new customer's details, as for POST /customers; ``name`` may be left to the page (it
    asks for the name and email), ``currency`` is the plan's."""

    name: Name | None = None  # type: ignore[assignment]


class CheckoutSessionCreate(Schema):
    """``plan_id`` and where to send the customer after; ``customer_id`` (an existing customer,
    billed in the plan's currency) or ``customer`` (a new one, created on completion), not both;
    neither: the page asks for the new customer's name and email."""

    plan_id: Annotated[str, Field(min_length=1, max_length=80)]
    customer_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    customer: CheckoutCustomer | None = None
    success_url: ReturnUrl = Field(
        description="Where the browser goes once the checkout is complete; "
                    "{CHECKOUT_SESSION_ID} in it is replaced by the session's id")
    cancel_url: ReturnUrl = Field(description="Where the page's 'Back' link leads")
    expires_in: Annotated[Integer, Field(ge=MIN_EXPIRES_IN, le=MAX_EXPIRES_IN)] = Field(
        DEFAULT_EXPIRES_IN,
        description=f"Seconds the page can be used for: {MIN_EXPIRES_IN} (30 minutes) to "
                    f"{MAX_EXPIRES_IN} (24 hours), default {DEFAULT_EXPIRES_IN}")
    metadata: Metadata = {}

    @model_validator(mode="after")
    def _one_customer(self) -> CheckoutSessionCreate:
        if self.customer_id is not None and self.customer is not None:
            raise problem("customer", "give customer_id or customer, not both")
        return self

    def data(self) -> dict[str, Any]:
        body = self.model_dump(exclude_none=True)
        if self.customer is not None:
            body["customer"] = self.customer.model_dump(exclude_none=True, exclude_defaults=True)
        return body


class CheckoutSession(BaseModel):
    id: str = Field(description="cs_...")
    url: str = Field(description="The checkout page to send the customer's browser to")
    status: str = Field(description="open, complete or expired")
    plan_id: str
    customer_id: str | None = Field(None, description="Given, or created on completion")
    customer_details: dict[str, Any] | None = Field(
        None, description="The request's ``customer``: the new customer's details given")
    subscription_id: str | None = Field(None, description="Created by the first payment attempt")
    invoice_id: str | None = Field(None, description="The subscription's first invoice")
    success_url: str
    cancel_url: str
    last_payment_error: str | None = Field(None, description="Why the latest attempt was declined")
    metadata: dict[str, Any]
    created_at: Timestamp
    expires_at: Timestamp
    completed_at: Timestamp | None = None
