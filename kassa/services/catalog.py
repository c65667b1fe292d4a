"""Products and billable metrics: create, read, list, update, archive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from kassa.domain.errors import InvalidRequest
from kassa.ids import new_id
from kassa.resources import renderer
from kassa.resources.catalog import Metric, Product
from kassa.services.common import (
    archive_object,
    get_object,
    insert_object,
    list_objects,
    merge_metadata,
    update_object,
)
from kassa.services.context import Ctx
from kassa.store.queries import (
    ListQuery,
    Page,
    archived_filter,
    in_filter,
    live_by_default,
    search_filter,
)
from kassa.store.tables import metrics, products
from kassa.store.uow import UnitOfWork


PRODUCT_SORTABLE = {
    "created_at": products.c.created_at,
    "updated_at": products.c.updated_at,
    "name": products.c.name,
    "sku": products.c.sku,
}
PRODUCT_FILTERS = {
    "search": search_filter(products.c.id, products.c.name, products.c.sku),
    "id": in_filter(products.c.id),
    "fee_type": in_filter(products.c.fee_type),
    "payment_terms": in_filter(products.c.payment_terms),
    "billing_frequency": in_filter(products.c.billing_frequency),
    "sku": in_filter(products.c.sku),
    "archived": archived_filter(products),
}
METRIC_SORTABLE = {
    "created_at": metrics.c.created_at,
    "updated_at": metrics.c.updated_at,
    "name": metrics.c.name,
    "event_name": metrics.c.event_name,
}
METRIC_FILTERS = {
    "id": in_filter(metrics.c.id),
    "event_name": in_filter(metrics.c.event_name),
    "archived": archived_filter(metrics),
}


def check_metrics_exist(
    conn: Connection, environment: str, metric_ids: Sequence[str], *, field: str
) -> None:
    """Every id in ``metric_ids`` names a metric of ``environment``; else 422 naming the index."""
    if not metric_ids:
        return
    found = set(
        conn.execute(
            select(metrics.c.id).where(
                metrics.c.environment == environment, metrics.c.id.in_(list(metric_ids))
            )
        ).scalars()
    )
    for index, metric_id in enumerate(metric_ids):
        if metric_id not in found:
            raise InvalidRequest(
                f"Metric {metric_id!r} does not exist; create it with POST /metrics first.",
                field=f"{field}[{index}]",
            )


def _check_product_shape(product: Mapping[str, Any]) -> None:
    if product["fee_type"] == "metered":
        if not product["metric_ids"]:
            raise InvalidRequest("A metered product needs at least one metric.", field="metric_ids")
    else:
        if product["metric_ids"]:
            raise InvalidRequest("A fixed-fee product takes no metric_ids.", field="metric_ids")
        if not product["billing_frequency"]:
            raise InvalidRequest(
                "A fixed-fee product needs billing_frequency (recurring or one-off).",
                field="billing_frequency",
            )


def create_product(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        fee_type = data["fee_type"]
        row = {
            "id": data.get("id") or new_id("prod"),
            "name": data["name"],
            "description": data.get("description"),
            "fee_type": fee_type,
            "payment_terms": data.get("payment_terms")
            or ("arrears" if fee_type == "metered" else "advance"),
            "billing_frequency": data.get("billing_frequency"),
            "metric_ids": list(data.get("metric_ids") or []),
            "sku": data.get("sku"),
            "unit_label_singular": data.get("unit_label_singular"),
            "unit_label_plural": data.get("unit_label_plural"),
            "metadata": merge_metadata({}, data.get("metadata") or {}),
        }
        _check_product_shape(row)
        check_metrics_exist(uow.conn, uow.environment, row["metric_ids"], field="metric_ids")
        view = insert_object(uow, products, row, what="product", view=renderer(Product),
                             event="product.created")
        uow.commit()
    return view


def update_product(ctx: Ctx, product_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    def prepare(uow: UnitOfWork, row: dict[str, Any], values: dict[str, Any]) -> None:
        if "metric_ids" in values:
            values["metric_ids"] = list(values["metric_ids"] or [])
        merged = {**row, **values}
        _check_product_shape(merged)
        if "metric_ids" in values:
            check_metrics_exist(uow.conn, uow.environment, merged["metric_ids"], field="metric_ids")

    return update_object(ctx, products, product_id, changes, what="Product", view=renderer(Product),
                         event="product.updated", prepare=prepare)


def create_metric(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = {
            "id": data.get("id") or new_id("mtr"),
            "name": data["name"],
            "description": data.get("description"),
            "event_name": data["event_name"],
            "aggregation": dict(data["aggregation"]),
            "filter_groups": list(data.get("filter_groups") or []),
            "metadata": merge_metadata({}, data.get("metadata") or {}),
        }
        view = insert_object(uow, metrics, row, what="metric", view=renderer(Metric),
                             event="metric.created")
        uow.commit()
    return view


def update_metric(ctx: Ctx, metric_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    return update_object(ctx, metrics, metric_id, changes, what="Metric", view=renderer(Metric),
                         event="metric.updated")


def get_product(ctx: Ctx, product_id: str) -> dict[str, Any]:
    return get_object(ctx, products, product_id, what="Product", view=renderer(Product))


def get_metric(ctx: Ctx, metric_id: str) -> dict[str, Any]:
    return get_object(ctx, metrics, metric_id, what="Metric", view=renderer(Metric))


def list_products(ctx: Ctx, query: ListQuery) -> Page:
    return list_objects(ctx, products, live_by_default(query), view=renderer(Product),
                        sortable=PRODUCT_SORTABLE, filters=PRODUCT_FILTERS)


def list_metrics(ctx: Ctx, query: ListQuery) -> Page:
    return list_objects(ctx, metrics, live_by_default(query), view=renderer(Metric),
                        sortable=METRIC_SORTABLE, filters=METRIC_FILTERS)


def archive_product(ctx: Ctx, product_id: str) -> dict[str, Any]:
    return archive_object(
        ctx, products, product_id, what="Product", view=renderer(Product), event="product.archived"
    )


def archive_metric(ctx: Ctx, metric_id: str) -> dict[str, Any]:
    return archive_object(
        ctx, metrics, metric_id, what="Metric", view=renderer(Metric), event="metric.archived"
    )
