"""Home, Customers, and the sidebar's pages still to come (each says so, and what the API
already does in its place)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from kassa.services import customers
from kassa.store.queries import ListQuery
from kassa.web.auth import Viewing
from kassa.web.rendering import page

router = APIRouter()

CUSTOMERS_PER_PAGE = 25
MAX_PAGE = 10**9

# The pages of issue 14 not built yet: what each will hold, and the API that does it today.
COMING = {
    "catalog": ("Catalog", "Products, Plans (New Plan with its items and prices), Metrics and "
                "Bundles.", ["GET /products", "GET /plans", "GET /metrics", "GET /bundles"]),
}


@router.get("/", name="home")
def home(request: Request, visitor: Viewing) -> Response:
    return page(request, "home.html", active="home", title="Home")


def _coming(name: str):  # noqa: ANN202
    title, holds, endpoints = COMING[name]

    def show(request: Request, visitor: Viewing) -> Response:
        return page(request, "coming.html", active=name, title=title, holds=holds,
                    endpoints=endpoints)

    return show


for _name in COMING:
    router.add_api_route(f"/{_name}", _coming(_name), methods=["GET"], name=_name)


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
