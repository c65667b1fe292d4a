"""Priced item sets: the content of a subscription version, a plan or a bundle.

An item set is a list of JSON-like dicts, each either a standalone item
``{"product_id", "price", "quantity"}`` or a bundle ``{"bundle_id", "items": [standalone...]}``.
Prices are in their canonical stored form (``kassa.domain.pricing.price_to_dict`` plus optional
price-level fields). This module answers questions about item sets and merges them; the change
delta itself lives in ``kassa.domain.changes``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kassa.domain.errors import InvalidRequest

Item = dict[str, Any]


def key_of(item: Mapping[str, Any]) -> tuple[str, str]:
    """``("product", id)`` or ``("bundle", id)``: what identifies an item in its set."""
    if item.get("bundle_id"):
        return ("bundle", item["bundle_id"])
    return ("product", item["product_id"])


def find(items: Sequence[Mapping[str, Any]], kind: str, ident: str) -> int | None:
    """Index of the item with that key, or None."""
    for index, item in enumerate(items):
        if key_of(item) == (kind, ident):
            return index
    return None


def bundle_holding(items: Sequence[Mapping[str, Any]], product_id: str) -> str | None:
    """The bundle that has ``product_id`` among its children, if any."""
    for item in items:
        if item.get("bundle_id") and any(
            c["product_id"] == product_id for c in item.get("items") or ()
        ):
            return str(item["bundle_id"])
    return None


def priced_items(items: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str | None, Mapping]]:
    """Every priced (standalone or child) item with its bundle id (None when standalone)."""
    for item in items:
        if item.get("bundle_id"):
            for child in item.get("items") or ():
                yield item["bundle_id"], child
        else:
            yield None, item


def product_ids(items: Sequence[Mapping[str, Any]]) -> set[str]:
    return {child["product_id"] for _, child in priced_items(items)}


def billed_every(items: Sequence[Mapping[str, Any]], interval: str) -> list[Item]:
    """The overrides that bill ``items`` (a plan's) every ``interval``: each item with a
    recurring price at another interval, its price unchanged but for ``billing_interval`` (a
    bundle whole, as overrides replace wholesale). Empty when every item already bills so."""

    def moved(child: Mapping[str, Any]) -> bool:
        price = child["price"]
        return (price.get("billing_frequency", "recurring") == "recurring"
                and price.get("billing_interval") != interval)

    def rebilled(child: Mapping[str, Any]) -> Item:
        if not moved(child):
            return copy.deepcopy(dict(child))
        return {**copy.deepcopy(dict(child)),
                "price": {**copy.deepcopy(dict(child["price"])), "billing_interval": interval}}

    overrides: list[Item] = []
    for item in items:
        if item.get("bundle_id"):
            children = item.get("items") or ()
            if any(moved(c) for c in children):
                overrides.append({"bundle_id": item["bundle_id"],
                                  "items": [rebilled(c) for c in children]})
        elif moved(item):
            overrides.append(rebilled(item))
    return overrides


def duplicates_problem(items: Sequence[Mapping[str, Any]], path: str = "items") -> None:
    """Refuse a set holding the same product (or bundle, or bundle child) twice."""
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(items):
        key = key_of(item)
        if key in seen:
            what = "bundle" if key[0] == "bundle" else "product"
            raise InvalidRequest(
                f"The {what} {key[1]} appears twice; each may appear once in an item set.",
                field=f"{path}[{index}].{key[0]}_id",
            )
        seen.add(key)
        children: set[str] = set()
        for c_index, child in enumerate(item.get("items") or ()):
            if child["product_id"] in children:
                raise InvalidRequest(
                    f"The product {child['product_id']} appears twice in bundle {key[1]}.",
                    field=f"{path}[{index}].items[{c_index}].product_id",
                )
            children.add(child["product_id"])


def merge_overrides(base: Sequence[Item], overrides: Sequence[Item]) -> list[Item]:
    """Plan items with per-customer overrides: an override with the same product or bundle
    replaces the base item wholesale (in place); the others are appended."""
    result = [copy.deepcopy(i) for i in base]
    for override in overrides:
        index = find(result, *key_of(override))
        if index is None:
            result.append(copy.deepcopy(override))
        else:
            result[index] = copy.deepcopy(override)
    return result


def deep_merge(current: Any, patch: Any) -> Any:
    """Merge ``patch`` onto ``current`` field by field: objects merge recursively, anything else
    (numbers, strings, null, and lists such as ``tiers`` or ``charges``) replaces wholesale."""
    if isinstance(current, Mapping) and isinstance(patch, Mapping):
        merged = dict(current)
        for key, value in patch.items():
            merged[key] = deep_merge(current.get(key), value) if key in current else value
        return merged
    return copy.deepcopy(patch)
