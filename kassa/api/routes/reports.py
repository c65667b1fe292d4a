"""Reports: MRR, ARR, revenue and MRR movements per month."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kassa.api.deps import EnvCtx
from kassa.api.schemas.common import Day
from kassa.resources.reports import CancellationReport, MrrReport
from kassa.services import reports

router = APIRouter(tags=["reports"])


@router.get("/reports/mrr", response_model=MrrReport)
def mrr_report(
    ctx: EnvCtx,
    from_: Annotated[Day, Query(alias="from", description="A day of the first month")],
    to: Annotated[Day, Query(description="A day of the last month")],
    interval: Annotated[str, Query(description="month")] = "month",
) -> dict[str, Any]:
    """Per calendar month from ``from``'s to ``to``'s (at most 36; the current month as of now,
    none after it): MRR at the month's end, ARR, active subscriptions, revenue and the new,
    expansion, contraction and churned MRR, per currency; and the open and overdue amounts of
    the invoices issued by ``to``."""
    return reports.mrr_report(ctx, from_, to, interval)


@router.get("/reports/cancellations", response_model=CancellationReport)
def cancellation_report(
    ctx: EnvCtx,
    from_: Annotated[Day, Query(alias="from", description="A day of the first month")],
    to: Annotated[Day, Query(description="A day of the last month")],
) -> dict[str, Any]:
    """Per calendar month from ``from``'s to ``to``'s (at most 36): the subscriptions that ended
    in it, per documented cancellation reason (every reason listed, zeros included), with the
    MRR they brought when they ended, per currency (the lifecycle document: "capture
    cancellation reasons to identify patterns")."""
    return reports.cancellation_report(ctx, from_, to)
