"""Lists on pages: the page number a list is asked for, and the SQL page (``ListQuery``) it
reads; counting and cutting happen in the service's query, one per table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated

from fastapi import Query

from kassa.store.queries import ListQuery, Page

PER_PAGE = 25
MAX_PAGE = 10**9

PageNumber = Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)]
"""``?page=N`` (from 1)."""


def page_query(page_number: int, filters: Mapping[str, Sequence[str]] | None = None,
               sort: tuple[str, str] | None = None, per_page: int = PER_PAGE) -> ListQuery:
    """Page ``page_number`` of ``per_page`` rows matching ``filters``."""
    return ListQuery(limit=per_page, offset=(page_number - 1) * per_page, sort=sort,
                     filters=dict(filters or {}))


def page_count(found: Page) -> int:
    """How many pages ``found`` has (at least one, shown empty)."""
    return max(1, math.ceil(found.total / found.limit))
