"""The Changes API delta: ``add``, ``remove`` and ``update`` applied to a version's item set.

Rules (from the updating-a-subscription document):
- ``update[].adjust`` merges field by field onto the existing price; arrays (``tiers``,
  expression ``charges``) are replaced wholesale; ``new_price`` replaces the price entirely.
- A bundle child is addressed only through its bundle: ``update[].bundle_id`` with ``items[]``,
  ``add_items[]`` or ``remove_items[]``; a whole bundle is removed with ``remove[].bundle_id``.
- Naming a product that is not there, adding one that is, or reaching a bundle child without
  its bundle is refused with a message that says what to do instead.

Operations apply in the order remove, update, add, so a product can be removed and re-added in
one change. Prices are validated by a ``normalize`` callback supplied by the caller (the API
layer), which returns the canonical price or raises ``InvalidRequest`` naming the field.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kassa.domain.errors import InvalidRequest
from kassa.domain.items import Item, bundle_holding, deep_merge, find, key_of

Normalize = Callable[[Mapping[str, Any], str], dict[str, Any]]


@dataclass
class Delta:
    """What a change does to an item set, item by item."""

    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "removed": self.removed, "updated": self.updated}


def _missing_product(items: Sequence[Item], product_id: str, path: str, verb: str) -> InvalidRequest:
    bundle = bundle_holding(items, product_id)
    if bundle:
        return InvalidRequest(
            f"{product_id} is part of bundle {bundle}; address it through its bundle: "
            f"update[].bundle_id = {bundle} with items[] (or remove_items[]).",
            field=path,
        )
    hint = "use add to add it" if verb != "remove" else "there is nothing to remove"
    return InvalidRequest(f"{product_id} is not on this subscription; {hint}.", field=path)


def _updated_child(child: Item, op: Mapping[str, Any], path: str, normalize: Normalize) -> Item:
    has_adjust, has_new = op.get("adjust") is not None, op.get("new_price") is not None
    if has_adjust and has_new:
        raise InvalidRequest(
            "adjust and new_price cannot be combined on one item: use adjust for a partial "
            "change or new_price to replace the price.",
            field=f"{path}.new_price",
        )
    if not (has_adjust or has_new or op.get("quantity") is not None):
        raise InvalidRequest(
            "Nothing to update: give adjust, new_price or quantity.", field=path
        )
    result = copy.deepcopy(child)
    if has_adjust:
        adjust = op["adjust"]
        model_key = f"{child['price']['type']}_pricing_model"
        new_type = adjust.get("type", child["price"]["type"])
        foreign = [k for k in adjust if k.endswith("_pricing_model") and k != model_key]
        if new_type != child["price"]["type"] or foreign:
            raise InvalidRequest(
                f"The price is {child['price']['type']}; adjust cannot change its type. "
                "Use new_price to replace it with another type.",
                field=f"{path}.adjust.{foreign[0] if foreign else 'type'}",
            )
        current = {k: v for k, v in child["price"].items()}
        current[model_key] = {k: v for k, v in current[model_key].items() if k != "total"}
        result["price"] = normalize(deep_merge(current, adjust), f"{path}.adjust")
    elif has_new:
        result["price"] = normalize(op["new_price"], f"{path}.new_price")
    if op.get("quantity") is not None:
        result["quantity"] = op["quantity"]
    return result


def _new_child(op: Mapping[str, Any], path: str, normalize: Normalize) -> Item:
    raw = op.get("new_price") if op.get("new_price") is not None else op.get("price")
    if raw is None:
        raise InvalidRequest("A new item needs new_price.", field=f"{path}.new_price")
    child: Item = {"product_id": op["product_id"], "price": normalize(raw, f"{path}.new_price")}
    if op.get("quantity") is not None:
        child["quantity"] = op["quantity"]
    return child


def _update_bundle(bundle: Item, op: Mapping[str, Any], path: str, normalize: Normalize) -> Item:
    result = copy.deepcopy(bundle)
    children: list[Item] = result.setdefault("items", [])
    bundle_id = bundle["bundle_id"]
    if not (op.get("items") or op.get("add_items") or op.get("remove_items")):
        raise InvalidRequest(
            "Nothing to update in the bundle: give items, add_items or remove_items.", field=path
        )
    for i, rem in enumerate(op.get("remove_items") or ()):
        index = find(children, "product", rem["product_id"])
        if index is None:
            raise InvalidRequest(
                f"{rem['product_id']} is not in bundle {bundle_id}; there is nothing to remove.",
                field=f"{path}.remove_items[{i}].product_id",
            )
        del children[index]
    for i, upd in enumerate(op.get("items") or ()):
        index = find(children, "product", upd["product_id"])
        if index is None:
            raise InvalidRequest(
                f"{upd['product_id']} is not in bundle {bundle_id}; use add_items to add it.",
                field=f"{path}.items[{i}].product_id",
            )
        children[index] = _updated_child(children[index], upd, f"{path}.items[{i}]", normalize)
    for i, add in enumerate(op.get("add_items") or ()):
        if find(children, "product", add["product_id"]) is not None:
            raise InvalidRequest(
                f"{add['product_id']} is already in bundle {bundle_id}; use items[] to update it.",
                field=f"{path}.add_items[{i}].product_id",
            )
        children.append(_new_child(add, f"{path}.add_items[{i}]", normalize))
    return result


def apply_change(
    items: Sequence[Item], change: Mapping[str, Any], normalize: Normalize
) -> list[Item]:
    """The item set after ``change`` (``add``/``remove``/``update`` lists as in the API)."""
    result = [copy.deepcopy(i) for i in items]
    for i, rem in enumerate(change.get("remove") or ()):
        _, index, _ = _on_subscription(result, rem, f"remove[{i}]", "remove")
        del result[index]
    for i, upd in enumerate(change.get("update") or ()):
        kind, index, path = _on_subscription(result, upd, f"update[{i}]", "update")
        if kind == "bundle":
            result[index] = _update_bundle(result[index], upd, path, normalize)
        else:
            result[index] = _updated_child(result[index], upd, path, normalize)
    for i, add in enumerate(change.get("add") or ()):
        kind, ident, path = _target(add, f"add[{i}]")
        if find(result, kind, ident) is not None:
            raise InvalidRequest(
                f"{ident} is already on this subscription; use update to change it.",
                field=f"{path}.{kind}_id",
            )
        if kind == "product":
            bundle = bundle_holding(result, ident)
            if bundle:
                raise InvalidRequest(
                    f"{ident} is already in bundle {bundle}; update it through "
                    f"update[].bundle_id = {bundle}.",
                    field=f"{path}.product_id",
                )
            result.append(_new_child(add, path, normalize))
        else:
            bundle: dict[str, Any] = {"bundle_id": ident}
            if add.get("items") is not None:  # else the bundle's own items, filled in later
                bundle["items"] = [
                    _new_child(c, f"{path}.items[{j}]", normalize)
                    for j, c in enumerate(add["items"])
                ]
            result.append(bundle)
    return result


_BUNDLE_MISSING = {
    "remove": "there is nothing to remove",
    "update": "use add to add it",
}


def _on_subscription(
    items: Sequence[Item], op: Mapping[str, Any], path: str, verb: str
) -> tuple[str, int, str]:
    """The kind, index and path of what a ``remove``/``update`` entry names, which must be on
    the subscription."""
    kind, ident, path = _target(op, path)
    index = find(items, kind, ident)
    if index is None:
        if kind == "product":
            raise _missing_product(items, ident, f"{path}.product_id", verb)
        raise InvalidRequest(
            f"Bundle {ident} is not on this subscription; {_BUNDLE_MISSING[verb]}.",
            field=f"{path}.bundle_id",
        )
    return kind, index, path


def _target(op: Mapping[str, Any], path: str) -> tuple[str, str, str]:
    if op.get("bundle_id"):
        return "bundle", op["bundle_id"], path
    if op.get("product_id"):
        return "product", op["product_id"], path
    raise InvalidRequest("Name the item with product_id or bundle_id.", field=path)


def _child_diff(old: Mapping, new: Mapping) -> bool:
    return old.get("price") != new.get("price") or old.get("quantity", 1) != new.get(
        "quantity", 1
    )


def diff(old: Sequence[Item], new: Sequence[Item]) -> Delta:
    """Item-by-item differences between two item sets (bundle children compared one by one)."""
    delta = Delta()
    old_keys = {key_of(i): i for i in old}
    new_keys = {key_of(i): i for i in new}
    for key, item in new_keys.items():
        if key not in old_keys:
            delta.added.append(copy.deepcopy(item))
    for key, item in old_keys.items():
        if key not in new_keys:
            delta.removed.append(copy.deepcopy(item))
            continue
        after = new_keys[key]
        if key[0] == "product":
            if _child_diff(item, after):
                delta.updated.append(
                    {"product_id": key[1], "before": copy.deepcopy(item), "after": copy.deepcopy(after)}
                )
            continue
        before_children = {c["product_id"]: c for c in item.get("items") or ()}
        after_children = {c["product_id"]: c for c in after.get("items") or ()}
        for pid in list(before_children) + [p for p in after_children if p not in before_children]:
            b, a = before_children.get(pid), after_children.get(pid)
            if b is None or a is None or _child_diff(b, a):
                delta.updated.append(
                    {
                        "bundle_id": key[1],
                        "product_id": pid,
                        "before": copy.deepcopy(b),
                        "after": copy.deepcopy(a),
                    }
                )
    return delta
