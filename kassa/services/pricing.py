"""Price quotes: what a price charges for one full period, before it is sold."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from kassa.domain.money import decimal_str, round_money
from kassa.domain.pricing import PeriodInputs, Phase, price_from_dict, quote
from kassa.domain.pricing import charge as phase_charge
from kassa.services.context import Ctx
from kassa.store.tables import metrics


def usage_variables(ctx: Ctx, usage: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Usage keyed by metric id, plus by event name, so expressions can use either."""
    variables = dict(usage)
    if usage:
        with ctx.uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(metrics.c.id, metrics.c.event_name).where(
                    metrics.c.environment == ctx.environment, metrics.c.id.in_(list(usage))
                )
            ).all()
        for row in rows:
            variables.setdefault(row.event_name, usage[row.id])
    return variables


def quote_price(
    ctx: Ctx,
    price: Mapping[str, Any],
    currency: str,
    quantity: int,
    usage: Mapping[str, Decimal],
) -> dict[str, Any]:
    """One full period of ``price``: the amount as an invoice bills it (each phase, advance and
    arrears, is a line of its own, rounded once), and the breakdown at full precision."""
    parsed = price_from_dict(price)
    inputs = PeriodInputs(quantity=Decimal(quantity), usage=usage_variables(ctx, usage))
    amount = sum((round_money(phase_charge(parsed, inputs, phase).amount, currency)
                  for phase in Phase), Decimal(0))
    charge = quote(parsed, inputs)
    return {
        "currency": currency,
        "amount": decimal_str(amount),
        "lines": [
            {
                "kind": line.kind,
                "description": line.description,
                "units": None if line.units is None else decimal_str(line.units),
                "rate": None if line.rate is None else decimal_str(line.rate),
                "amount": decimal_str(line.amount),
            }
            for line in charge.lines
        ],
    }
