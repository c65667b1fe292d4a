"""Human descriptions of invoice lines ("Platform fee · Jul 1 – Aug 1, 2026")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa.domain.billing.boundary import LineDraft


PRORATION_SIDES = {"credit": "credit for unused time", "charge": "remaining time"}


def _period(line: LineDraft) -> str:
    if not line.period:
        return ""
    start, end = line.period
    return f" ({start.isoformat()} – {end.isoformat()})"


def describe(lines: Sequence[LineDraft], products: Mapping[str, Any], currency: str) -> None:
    for line in lines:
        if line.description:
            continue
        product = products.get(line.product_id or "")
        name = product["name"] if product else (line.product_id or line.kind)
        if line.kind == "credit":
            line.description = f"Unused time credit: {name}{_period(line)}"
        elif line.kind in ("usage", "overage"):
            unit = ""
            if product and line.quantity is not None:
                label = product["unit_label_singular"] if line.quantity == 1 else product["unit_label_plural"]
                unit = f" {label}" if label else ""
            quantity = "" if line.quantity is None else f" · {format(line.quantity, 'f')}{unit}"
            prefix = "Overage: " if line.kind == "overage" else ""
            line.description = f"{prefix}{name}{quantity}{_period(line)}"
        elif line.kind == "prepaid":
            line.description = f"Prepaid: {name}{_period(line)}"
        elif line.kind == "proration":
            line.description = f"{name} — {PRORATION_SIDES[line.details['side']]}{_period(line)}"
        else:
            days = line.details.get("prorated")
            suffix = ""
            if days:
                total = sum(p["days"] for p in days)
                suffix = f" · {total} of {line.details['period_days']} days"
            line.description = f"{name}{_period(line)}{suffix}"
