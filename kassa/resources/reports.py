"""Reports as the API shows them: ``GET /reports/mrr``."""

from __future__ import annotations

from pydantic import Field

from kassa.resources.fields import DateString, DecimalString, ResponseSchema, Timestamp


class CurrencyFigures(ResponseSchema):
    """One month in one currency, as billed (``settlement`` converts them into one)."""

    currency: str
    mrr: DecimalString = Field(description="MRR at the end of the month (now, for the current one)")
    arr: DecimalString = Field(description="12 x MRR")
    active_subscriptions: int
    revenue: DecimalString = Field(description="Total of the invoices issued in the month")
    new_mrr: DecimalString
    expansion_mrr: DecimalString
    contraction_mrr: DecimalString
    churned_mrr: DecimalString


class SettlementRate(ResponseSchema):
    currency: str = Field(description="A currency converted into the settlement currency")
    rate: str = Field(description="1 currency = rate settlement currency (a decimal string)")
    rate_date: DateString = Field(description="valid_from of the rate used")
    via: str | None = Field(None, description="The pivot of a cross rate")


class SettlementFigures(CurrencyFigures):
    """Every currency's figures converted into the settlement currency (Settings → Currencies)
    at the rate of the month's last day (today for the current month): each currency's
    unrounded figures times its rate, added, rounded once."""

    rates: list[SettlementRate] = Field(description="The rates used, one per currency")
    unconverted: list[str] = Field(
        description="Currencies without a rate to the settlement currency: left out of these "
        "sums (their own figures are in currencies)")


class MonthFigures(ResponseSchema):
    month: str = Field(description="YYYY-MM")
    start: DateString
    end: DateString
    as_of: Timestamp = Field(description="The instant the end-of-month figures describe")
    active_subscriptions: int = Field(description="In every currency together")
    currencies: list[CurrencyFigures]
    settlement: SettlementFigures | None = Field(
        None, description="All currencies together in the settlement currency")


class Balance(ResponseSchema):
    currency: str
    outstanding: DecimalString = Field(description="Still due on the open invoices")
    overdue: DecimalString = Field(description="The part of it past its due date")


class MrrReport(ResponseSchema):
    interval: str
    from_: DateString = Field(alias="from")
    to: DateString
    settlement_currency: str = Field(description="Settings → Currencies' settlement currency")
    data: list[MonthFigures]
    balances: list[Balance] = Field(
        description="Open invoices issued by the range end, as they stand now")
    balances_as_of: Timestamp


class LostMrr(ResponseSchema):
    currency: str
    amount: DecimalString = Field(description="The MRR the canceled subscriptions brought")


class ReasonFigures(ResponseSchema):
    reason: str = Field(description="A documented cancellation reason")
    canceled: int = Field(description="Subscriptions that ended in the month with this reason")
    lost_mrr: list[LostMrr] = Field(description="Per currency; none when nothing was lost")


class CancellationMonth(ResponseSchema):
    month: str = Field(description="YYYY-MM")
    start: DateString
    end: DateString
    canceled: int = Field(description="Subscriptions that ended in the month, every reason")
    lost_mrr: list[LostMrr]
    reasons: list[ReasonFigures] = Field(description="Every documented reason, in their order")


class CancellationReport(ResponseSchema):
    from_: DateString = Field(alias="from")
    to: DateString
    data: list[CancellationMonth]
