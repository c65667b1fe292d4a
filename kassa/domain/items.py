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


def _without_quantities(item: Mapping[str, Any]) -> dict[str, Any]:
    """``item`` without its quantities (a seat count is the subscription's, not pricing)."""
    bare = {k: v for k, v in item.items() if k != "quantity"}
    if "items" in bare:
        bare["items"] = [{k: v for k, v in child.items() if k != "quantity"}
                         for child in bare["items"] or ()]
    return bare


def _with_quantities_of(plan_item: Mapping[str, Any], own: Mapping[str, Any]) -> Item:
    """The plan's ``plan_item`` carrying the quantities the subscription's ``own`` has."""
    result = copy.deepcopy(dict(plan_item))
    if "quantity" in own:
        result["quantity"] = own["quantity"]
    if result.get("items"):
        counts = {c["product_id"]: c["quantity"] for c in own.get("items") or ()
                  if "quantity" in c}
        for child in result["items"]:
            if child["product_id"] in counts:
                child["quantity"] = counts[child["product_id"]]
    return result


def reprice_from_plan(
    current: Sequence[Mapping[str, Any]],
    plan_sets: Sequence[Sequence[Mapping[str, Any]]],
    latest: Sequence[Mapping[str, Any]],
) -> tuple[list[Item], list[tuple[str, str]]]:
    """The items a renewal with ``renewal.pricing: plan_latest`` takes: the plan's ``latest``
    items, with the subscription's own overrides kept. Returns them and the keys kept.

    An item of ``current`` is the plan's when, quantities aside, it equals the item with its
    key in one of the plan's item sets (``plan_sets``, oldest first, ``latest`` among them): it
    takes the latest item of its key (with its own quantities), or goes when the plan dropped
    it. Any other item is the subscription's own (a price override, an addition) and is kept
    wholesale. A key the plan had in an earlier set that ``current`` lacks was removed by the
    subscription and stays removed.
    """
    plan_forms: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item_set in plan_sets:
        for item in item_set:
            plan_forms.setdefault(key_of(item), []).append(_without_quantities(item))
    latest_by_key = {key_of(item): item for item in latest}
    current_keys = {key_of(item) for item in current}
    earlier = {key_of(item) for item_set in plan_sets[:-1] for item in item_set}
    removed = earlier - current_keys
    result: list[Item] = []
    kept: list[tuple[str, str]] = []
    placed: set[tuple[str, str]] = set()
    for plan_item in latest:
        key = key_of(plan_item)
        if key in removed:
            continue
        own = next((i for i in current if key_of(i) == key), None)
        if own is None:
            result.append(copy.deepcopy(dict(plan_item)))
        elif _without_quantities(own) in plan_forms.get(key, []):
            result.append(_with_quantities_of(plan_item, own))
        else:
            result.append(copy.deepcopy(dict(own)))
            kept.append(key)
        placed.add(key)
    for own in current:
        key = key_of(own)
        if key in placed:
            continue
        if _without_quantities(own) in plan_forms.get(key, []) and key not in latest_by_key:
            continue  # the plan's item, which the plan no longer has
        result.append(copy.deepcopy(dict(own)))
        kept.append(key)
    return result, kept
