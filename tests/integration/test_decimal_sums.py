"""kassa.store.decimal_sums: an exact SUM of money on both backends, negative amounts, amounts
without a point and of several scales included."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from kassa.store.decimal_sums import DecimalSum
from kassa.store.types import ExactDecimal

AMOUNTS = ["12.50", "-0.50", "-12.25", "1000", "0.001", "99999999999.99", "7.5", "-3"]


@pytest.fixture
def amounts(engine):
    table = Table("decimal_sum_probe", MetaData(), Column("k", Integer),
                  Column("amount", ExactDecimal()))
    table.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(insert(table), [{"k": n % 2, "amount": Decimal(a)}
                                         for n, a in enumerate(AMOUNTS)])
        yield table
    finally:
        table.drop(engine)


def test_sums_are_exact(engine, amounts) -> None:
    total = DecimalSum(engine.dialect.name, amounts.c.amount)
    with engine.connect() as conn:
        rows = conn.execute(select(amounts.c.k, *total.columns).group_by(amounts.c.k)
                            .order_by(amounts.c.k)).mappings().all()
        everything = conn.execute(select(*total.columns)).mappings().one()
    assert [total.of(r) for r in rows] == [
        sum(Decimal(a) for a in AMOUNTS[0::2]), sum(Decimal(a) for a in AMOUNTS[1::2])]
    assert total.of(everything) == Decimal("100000001004.241")


def test_nothing_sums_to_zero(engine, amounts) -> None:
    total = DecimalSum(engine.dialect.name, amounts.c.amount)
    with engine.connect() as conn:
        row = conn.execute(select(*total.columns).where(amounts.c.k == 5)).mappings().one()
    assert total.of(row) == 0
