"""Item sets checked against the catalog: products, bundles and metrics must exist."""

from __future__ import annotations

import copy
from collections.abc import Sequence
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


def check_items(conn: Connection, environment: str, items: Sequence[Item], path: str = "items") -> None:
    """Every referenced product, bundle and metric exists; nothing appears twice."""
    duplicates_problem(items, path)
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
