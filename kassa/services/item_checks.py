"""Item sets checked against the catalog: products, bundles and metrics must exist, and a
metered product is never given a fixed price (a metered price on a fixed product is allowed: it
names its own metrics, as the subscription documents' example 1a does)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from kassa.domain.errors import InvalidRequest
from kassa.domain.items import Item, duplicates_problem
from kassa.store.tables import bundles, metrics, products


def _existing(conn: Connection, table: Any, environment: str, ids: set[str]) -> dict[str, Any]:
    if not ids:
        return {}
    rows = conn.execute(
        select(table).where(table.c.environment == environment, table.c.id.in_(sorted(ids)))
    ).mappings()
    return {r["id"]: r for r in rows}


def fill_bundle_defaults(
    conn: Connection, environment: str, items: Sequence[Item], path: str = "items"
) -> list[Item]:
    """Bundle items given without children take the bundle's default child prices."""
    wanted = {i["bundle_id"] for i in items if i.get("bundle_id")}
    found = _existing(conn, bundles, environment, wanted)
    result = []
    for index, item in enumerate(items):
        item = copy.deepcopy(item)
        if item.get("bundle_id"):
            bundle = found.get(item["bundle_id"])
            if bundle is None:
                raise InvalidRequest(
                    f"Bundle {item['bundle_id']!r} does not exist; create it with POST /bundles.",
                    field=f"{path}[{index}].bundle_id",
                )
            if item.get("items") is None:
                item["items"] = copy.deepcopy(list(bundle["items"]))
        result.append(item)
    return result


def _fee_type_problem(product: Mapping[str, Any], price: Mapping[str, Any], field: str) -> None:
    if product["fee_type"] == "metered" and price.get("fee_type") == "fixed":
        raise InvalidRequest(
            f"Product {product['id']} has fee_type metered: a fixed price would bill none of its "
            "usage. Give it a metered price (fee_type metered with metric_ids), or use a fixed "
            "product.",
            field=f"{field}.fee_type",
        )


def check_prices(
    conn: Connection, environment: str, priced: Sequence[tuple[str, Mapping[str, Any], str]]
) -> None:
    """Each (product_id, price, field) fits its product's fee_type (for prices a change writes)."""
    found = _existing(conn, products, environment, {product_id for product_id, _, _ in priced})
    for product_id, price, field in priced:
        if product_id in found:
            _fee_type_problem(found[product_id], price, field)


def check_items(
    conn: Connection,
    environment: str,
    items: Sequence[Item],
    path: str = "items",
    *,
    fee_types: bool = True,
) -> None:
    """Every referenced product, bundle and metric exists; nothing appears twice; prices fit
    their products' fee_type unless ``fee_types`` is false (the caller checks them itself)."""
    duplicates_problem(items, path)
    priced: list[tuple[str, Mapping[str, Any], str]] = []
    product_refs: list[tuple[str, str]] = []
    metric_refs: list[tuple[str, str]] = []
    bundle_refs: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        base = f"{path}[{index}]"
        if item.get("bundle_id"):
            bundle_refs.append((item["bundle_id"], f"{base}.bundle_id"))
            children = [(f"{base}.items[{j}]", c) for j, c in enumerate(item.get("items") or ())]
        else:
            children = [(base, item)]
        for child_path, child in children:
            product_refs.append((child["product_id"], f"{child_path}.product_id"))
            priced.append((child["product_id"], child["price"], f"{child_path}.price"))
            for m_index, metric_id in enumerate(child["price"].get("metric_ids") or ()):
                metric_refs.append((metric_id, f"{child_path}.price.metric_ids[{m_index}]"))
    for table, refs, what, create in (
        (products, product_refs, "Product", "POST /products"),
        (bundles, bundle_refs, "Bundle", "POST /bundles"),
        (metrics, metric_refs, "Metric", "POST /metrics"),
    ):
        found = _existing(conn, table, environment, {ref for ref, _ in refs})
        for ref, field in refs:
            if ref not in found:
                raise InvalidRequest(
                    f"{what} {ref!r} does not exist; create it with {create} first.", field=field
                )
            if found[ref]["archived_at"] is not None:
                raise InvalidRequest(f"{what} {ref!r} is archived.", field=field)
    if fee_types:
        check_prices(conn, environment, priced)
