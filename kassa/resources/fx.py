"""Exchange rates as the API shows them (``GET /fx-rates``), and an invoice's locked rate."""

from __future__ import annotations

from pydantic import Field

from kassa.resources.fields import DateString, DecimalString, ResponseSchema, Timestamp


class FxRate(ResponseSchema):
    """1 ``base`` = ``rate`` ``quote``, from ``valid_from`` on (until a newer rate of the pair)."""

    id: str
    base: str
    quote: str
    rate: DecimalString
    valid_from: DateString
    source: str = Field(description="manual (POST /fx-rates) or ecb (kassa fx import)")
    created_at: Timestamp
    updated_at: Timestamp


class InvoiceFx(ResponseSchema):
    """The rate an invoice's converted prices used, locked when it was billed: the newest rate
    with ``valid_from`` on or before the invoice date."""

    base_currency: str = Field(description="The currency the converted prices are in")
    currency: str = Field(description="The invoice's currency")
    rate: str = Field(description="1 base_currency = rate currency (a decimal string)")
    rate_date: str = Field(description="valid_from of the rate used (the older leg of a cross "
                                       "rate)")
    via: str | None = Field(None, description="The pivot currency of a cross rate (null: "
                                              "a direct or inverted rate)")
