"""Home and the Customers list."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from kassa.services import customers, reports
from kassa.store.queries import ListQuery
from kassa.web.auth import Viewing
from kassa.web.charts import monthly_bars
from kassa.web.rendering import page

router = APIRouter()

CUSTOMERS_PER_PAGE = 25
MAX_PAGE = 10**9

@router.get("/", name="home")
def home(request: Request, visitor: Viewing) -> Response:
    """The headline figures, this month's MRR movements and a year of revenue per currency
    (``reports.home_figures``, as ``GET /reports/mrr`` computes them)."""
    figures = reports.home_figures(visitor.ctx)
    charts = {currency: monthly_bars(
        [(m["month"], m["currencies"][currency]) for m in figures["revenue"]],
        f"Revenue per month, {currency}") for currency in figures["currencies"]}
    return page(request, "home.html", active="home", title="Home", home=figures, charts=charts)


@router.get("/customers", name="customers")
def customer_list(
    request: Request,
    visitor: Viewing,
    q: Annotated[str, Query(max_length=200)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    """Search by name, email or id; one page at a time, counted and cut in SQL."""
    q = q.strip()
    query = ListQuery(
        limit=CUSTOMERS_PER_PAGE,
        offset=(page_number - 1) * CUSTOMERS_PER_PAGE,
        sort=("name", "asc"),
        filters={"search": [q]} if q else {},
    )
    found = customers.list_customers(visitor.ctx, query)
    pages = max(1, math.ceil(found.total / CUSTOMERS_PER_PAGE))
    return page(request, "customers/list.html", partial="customers/_results.html",
                active="customers", title="Customers", q=q, found=found,
                page_number=page_number, pages=pages)
