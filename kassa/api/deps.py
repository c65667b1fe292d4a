"""Dependencies shared by the routers: the request's service context and list parameters."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Query, Request

from kassa.api.errors import ApiError
from kassa.services.context import Ctx
from kassa.store.queries import ListQuery, Page

if TYPE_CHECKING:
    from kassa.bootstrap import Kassa

RESERVED_QUERY = frozenset({"limit", "offset", "sort"})
# OFFSET is a signed 64-bit integer on both databases; past it the driver fails, not the query.
MAX_OFFSET = 2**63 - 1


def get_kassa(request: Request) -> Kassa:
    return request.app.state.kassa  # type: ignore[no-any-return]


def current_ctx(request: Request) -> Ctx:
    """The context of the environment the API key belongs to, with that environment's clock."""
    environment = request.scope.get("state", {}).get("environment")
    if environment is None:  # only public routes run without a key, and they take no Ctx
        raise ApiError(401, "A valid API key is required.")
    return get_kassa(request).ctx(environment)


def shown_once(*fields: str) -> Any:
    """A route dependency: ``fields`` of the answer are secrets shown once. An answer stored for
    Idempotency-Key replays holds ``kassa.services.idempotency.SHOWN_ONCE`` in their place."""

    def mark(request: Request) -> None:
        request.scope.setdefault("state", {})["shown_once"] = fields

    return Depends(mark)


def list_query(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size (max 100)")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")] = 0,
    sort: Annotated[  # a str left out is None: the document offers no null
        str,
        Query(
            description="field:asc or field:desc, e.g. created_at:asc (a field alone sorts "
            "ascending); each list names its sortable fields",
            json_schema_extra={"pattern": r"^[a-z_]+(:(asc|desc))?$"},
        ),
    ] = None,
) -> ListQuery:
    """``limit``/``offset``/``sort`` plus every other query parameter as an 'any of' filter."""
    order: tuple[str, str] | None = None
    if sort is not None:
        field, _, direction = sort.partition(":")
        direction = direction or "asc"
        if not field or direction not in {"asc", "desc"}:
            raise ApiError(422, "sort must look like field:asc or field:desc.", field="sort")
        order = (field, direction)
    filters: dict[str, list[str]] = {}
    for name in request.query_params:
        if name in RESERVED_QUERY:
            continue
        values = [
            part.strip()
            for raw in request.query_params.getlist(name)
            for part in raw.split(",")
            if part.strip()
        ]
        if not values:
            raise ApiError(422, f"Filter {name!r} needs a value.", field=name)
        filters[name] = values
    return ListQuery(limit=limit, offset=offset, sort=order, filters=filters)


def page_body(page: Page) -> dict[str, Any]:
    """The documented list envelope: ``{"data", "pagination": {per_page, total_pages, total}}``."""
    return {
        "data": page.rows,
        "pagination": {
            "per_page": page.limit,
            "total_pages": math.ceil(page.total / page.limit) if page.limit else 0,
            "total": page.total,
        },
    }


EnvCtx = Annotated[Ctx, Depends(current_ctx)]
Listing = Annotated[ListQuery, Depends(list_query)]
