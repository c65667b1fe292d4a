"""Exchange rates per environment (``POST /fx-rates``, ``kassa fx import``): 1 ``base`` =
``rate`` ``quote`` from ``valid_from`` on. One rate per pair and day; an import of a day that is
already there replaces its rate (``source`` says where the rate came from)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, UniqueConstraint

from kassa.store.tables.base import resource_table
from kassa.store.types import ExactDecimal, ISODate

fx_rates = resource_table(
    "fx_rates",
    Column("base", String(3), nullable=False),
    Column("quote", String(3), nullable=False),
    Column("rate", ExactDecimal(), nullable=False),
    Column("valid_from", ISODate(), nullable=False),
    Column("source", String(20), nullable=False),  # manual | ecb
    UniqueConstraint("environment", "base", "quote", "valid_from"),
    # The rate of a pair on a day: the newest valid_from on or before it.
    Index(None, "environment", "quote", "base", "valid_from"),
)
