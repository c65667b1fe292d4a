"""Lists on pages: the page asked for (``?page=``), the ``ListQuery`` that cuts it in SQL, and
how many pages there are (templates show them with ``_macros.html``'s ``pager``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated

from fastapi import Query

from kassa.store.queries import ListQuery

PER_PAGE = 25
MAX_PAGE = 10**9
PageNumber = Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)]
"""A list page's ``page`` query parameter (1 is the first)."""


def page_query(page_number: int, *, sort: tuple[str, str] | None = None,
               filters: Mapping[str, Sequence[str]] | None = None,
               per_page: int = PER_PAGE) -> ListQuery:
    return ListQuery(limit=per_page, offset=(page_number - 1) * per_page, sort=sort,
                     filters=dict(filters or {}))


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    return max(1, math.ceil(total / per_page))
