"""Approval rules: conditions on a subscription about to go live, and approver strategies.

A rule matches when all (``match="all"``) or any (``match="any"``) of its conditions hold.
Rules are tried by ascending ``priority``; the first that matches decides who must approve.

Deal figures (all from fixed-fee items; usage is unknown in advance and counts as zero):
- MRR: the recurring charges of one period, spread per month (a yearly fee / 12);
- TCV: MRR x contract months, plus one-off charges (a rolling contract counts 12 months);
- ACV: TCV per 12 months of contract.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kassa.domain.contracts import PAYMENT_TERMS_DAYS
from kassa.domain.items import priced_items, product_ids
from kassa.domain.periods import Interval
from kassa.domain.pricing import PeriodInputs, price_from_dict, quote


@dataclass(frozen=True)
class Deal:
    """What the rules look at."""

    items: Sequence[Mapping[str, Any]]
    discount: Mapping[str, Any] | None
    contract_months: int
    payment_terms: str
    customer_segment: str | None
    customer_is_new: bool
    figures: dict[str, Decimal] = field(default_factory=dict)


def fixed_charges(items: Sequence[Mapping[str, Any]]) -> tuple[Decimal, Decimal]:
    """``(mrr, one_off)`` of ``items``: the recurring fixed-fee charges of one period spread per
    month, and the one-off fixed charges. Metered (usage) prices count in neither."""
    mrr = Decimal(0)
    one_off = Decimal(0)
    for _, child in priced_items(items):
        price = child["price"]
        if price.get("fee_type") != "fixed":
            continue
        amount = quote(
            price_from_dict(price), PeriodInputs(quantity=Decimal(child.get("quantity", 1)))
        ).amount
        if price.get("billing_frequency", "recurring") == "one-off":
            one_off += amount
        else:
            mrr += amount / Interval(price["billing_interval"]).months
    return mrr, one_off


def monthly_recurring(items: Sequence[Mapping[str, Any]]) -> Decimal:
    """The MRR of an item set, as the deal figures count it (``fixed_charges``)."""
    return fixed_charges(items)[0]


def deal_figures(items: Sequence[Mapping[str, Any]], contract_months: int) -> dict[str, Decimal]:
    mrr, one_off = fixed_charges(items)
    tcv = mrr * contract_months + one_off
    return {"mrr": mrr, "tcv": tcv, "acv": tcv * 12 / contract_months}


def max_discount_percentage(deal: Deal) -> Decimal:
    percentages = [
        Decimal(str(d["amount"]))
        for d in [deal.discount, *(c["price"].get("discount") for _, c in priced_items(deal.items))]
        if d and d.get("type") == "percentage"
    ]
    return max(percentages, default=Decimal(0))


def condition_holds(condition: Mapping[str, Any], deal: Deal) -> bool:
    kind, value = condition["type"], condition.get("value")
    if kind == "discount_percentage_exceeds":
        return max_discount_percentage(deal) > Decimal(str(value))
    if kind in ("tcv_exceeds", "acv_exceeds", "mrr_exceeds"):
        return deal.figures[kind.removesuffix("_exceeds")] > Decimal(str(value))
    if kind == "product_present":
        return str(value) in product_ids(deal.items)
    if kind == "contract_months_exceed":
        return deal.contract_months > int(value)
    if kind == "payment_terms_days_exceed":
        return PAYMENT_TERMS_DAYS[deal.payment_terms] > int(value)
    if kind == "customer_segment_equals":
        return deal.customer_segment == value
    if kind == "customer_is_new":
        return deal.customer_is_new == bool(value)
    raise ValueError(f"unknown condition type {kind!r}")


def describe(condition: Mapping[str, Any]) -> str:
    kind, value = condition["type"], condition.get("value")
    return {
        "discount_percentage_exceeds": f"discount above {value}%",
        "tcv_exceeds": f"total contract value above {value}",
        "acv_exceeds": f"annual contract value above {value}",
        "mrr_exceeds": f"monthly recurring revenue above {value}",
        "product_present": f"includes product {value}",
        "contract_months_exceed": f"contract longer than {value} months",
        "payment_terms_days_exceed": f"payment terms longer than {value} days",
        "customer_segment_equals": f"customer segment is {value}",
        "customer_is_new": "new customer" if value else "existing customer",
    }[kind]


def matching_rule(
    rules: Sequence[Mapping[str, Any]], deal: Deal
) -> tuple[Mapping[str, Any], list[str]] | None:
    """The first rule (by priority) whose conditions hold, with the reasons; None otherwise."""
    for rule in sorted(rules, key=lambda r: (r["priority"], r["seq"])):
        held = [c for c in rule["conditions"] if condition_holds(c, deal)]
        needed = len(rule["conditions"]) if rule["match"] == "all" else 1
        if rule["conditions"] and len(held) >= needed:
            return rule, [describe(c) for c in held]
    return None


def approvals_needed(approvers: Mapping[str, Any]) -> int:
    names = approvers["names"]
    if approvers["strategy"] == "any":
        return 1
    if approvers["strategy"] == "all":
        return len(names)
    return int(approvers["min_approvals"])


def is_satisfied(approvers: Mapping[str, Any], approved_by: Sequence[str]) -> bool:
    return len(set(approved_by)) >= approvals_needed(approvers)
