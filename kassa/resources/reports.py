"""Reports as the API shows them: ``GET /reports/mrr``."""

from __future__ import annotations

from pydantic import Field

from kassa.resources.fields import DateString, DecimalString, ResponseSchema, Timestamp


class CurrencyFigures(ResponseSchema):
    """One month in one currency (Kassa converts no currency into another)."""

    currency: str
    mrr: DecimalString = Field(description="MRR at the end of the month (now, for the current one)")
    arr: DecimalString = Field(description="12 x MRR")
    active_subscriptions: int
    revenue: DecimalString = Field(description="Total of the invoices issued in the month")
    new_mrr: DecimalString
    expansion_mrr: DecimalString
    contraction_mrr: DecimalString
    churned_mrr: DecimalString


class MonthFigures(ResponseSchema):
    month: str = Field(description="YYYY-MM")
    start: DateString
    end: DateString
    as_of: Timestamp = Field(description="The instant the end-of-month figures describe")
    active_subscriptions: int = Field(description="In every currency together")
    currencies: list[CurrencyFigures]


class Balance(ResponseSchema):
    currency: str
    outstanding: DecimalString = Field(description="Still due on the open invoices")
    overdue: DecimalString = Field(description="The part of it past its due date")


class MrrReport(ResponseSchema):
    interval: str
    from_: DateString = Field(alias="from")
    to: DateString
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
