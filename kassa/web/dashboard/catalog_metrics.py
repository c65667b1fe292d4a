"""Catalog -> Metrics: the billable metrics, New Metric (event name, aggregation, a group of
property filters), a metric's page, Edit and Archive, through the services of /metrics, the form
read by ``MetricCreate`` (``MetricUpdate`` when editing)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kassa.api.schemas.catalog import AggregationMethod, FilterOperator, MetricCreate, MetricUpdate
from kassa.domain.errors import KassaError
from kassa.services import catalog
from kassa.web.auth import Acting, ActingForm, Viewing, Visitor
from kassa.web.dashboard.catalog import catalog_page, done
from kassa.web.dashboard.listing import PageNumber, page_count, page_query
from kassa.web.form_paths import errors_by_input, form_values, nested
from kassa.web.forms import Form, parsed

router = APIRouter(prefix="/catalog/metrics")

METHODS = [("count", "Count events"), ("count_unique", "Count unique values"), ("sum", "Sum"),
           ("min", "Minimum"), ("max", "Maximum"), ("average", "Average"),
           ("latest", "Latest value")]
assert [m for m, _ in METHODS] == list(AggregationMethod.__args__)
OPERATORS = [("equal", "equals"), ("not_equal", "does not equal"), ("contains", "contains"),
             ("not_contains", "does not contain"), ("gt", "greater than"),
             ("gte", "at least"), ("lt", "less than"), ("lte", "at most"),
             ("in", "is one of (comma-separated)")]
assert [o for o, _ in OPERATORS] == list(FilterOperator.__args__)
JOINS = [("and", "All filters match"), ("or", "Any filter matches")]
FILTER_ROWS = 3
ROOTS = ("name", "description", "event_name", "aggregation", "filter_groups")
GROUP = "filter_groups[0]"
INPUTS = ["name", "description", "event_name", "aggregation", "aggregation.method",
          "aggregation.field", "filter_groups", GROUP, f"{GROUP}.operator"] + [
    f"{GROUP}.filters[{row}].{name}" for row in range(FILTER_ROWS)
    for name in ("field", "operator", "value")]


@router.get("", name="catalog_metrics")
def metric_list(request: Request, visitor: Viewing, page_number: PageNumber = 1) -> Response:
    found = catalog.list_metrics(visitor.ctx, page_query(page_number, sort=("name", "asc")))
    return catalog_page(request, "catalog/metrics.html", "catalog_metrics", title="Metrics",
                        what="metric", found=found, page_number=page_number,
                        pages=page_count(found), methods=dict(METHODS))


def metric_body(form: Form) -> tuple[dict[str, Any], Any]:
    """The POST /metrics body the form makes: blank filter rows left out, an ``in`` filter's
    value split at its commas, and no filter group without a filter."""
    body, paths = nested(form.fields, ROOTS)
    groups = body.get("filter_groups", [])
    for group in groups:
        for found in group.get("filters", []):
            if found.get("operator") == "in" and isinstance(found.get("value"), str):
                found["value"] = [v.strip() for v in found["value"].split(",") if v.strip()]
    body["filter_groups"] = [g for g in groups if g.get("filters")]
    return body, paths


def _form_page(request: Request, visitor: Visitor, *, status: int = 200,
               values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
               metric: dict[str, Any] | None = None) -> Response:
    """New Metric, or Edit of ``metric`` (its fields filled in from it)."""
    if values is None:
        values = _values(metric) if metric is not None else {
            "aggregation.method": "count", f"{GROUP}.operator": "and"}
    groups = len(metric["filter_groups"]) if metric is not None else 1
    filters = len(metric["filter_groups"][0]["filters"]) if metric and groups == 1 else 0
    return catalog_page(request, "catalog/metric_form.html", "catalog_metrics", status=status,
                        title=f"Edit {metric['name']}" if metric else "New Metric",
                        metric=metric, values=values, errors=errors or {}, methods=METHODS,
                        joins=JOINS, group=GROUP, operators=[("", "—")] + OPERATORS,
                        filter_rows=range(max(FILTER_ROWS, filters + 1)),
                        filters_editable=groups <= 1)


def _values(metric: dict[str, Any]) -> dict[str, str]:
    """The form's inputs filled from ``metric`` (an ``in`` filter's values joined by commas)."""
    groups = [{**group, "filters": [
        {**f, "value": ", ".join(map(str, f["value"])) if isinstance(f["value"], list)
         else f["value"]} for f in group["filters"]]} for group in metric["filter_groups"]]
    values = form_values({k: metric.get(k) for k in ROOTS if k != "filter_groups"})
    return values | form_values({"filter_groups": groups}) if len(groups) == 1 else values


@router.get("/new", name="new_metric")
def new_metric(request: Request, visitor: ActingForm) -> Response:
    return _form_page(request, visitor)


@router.post("/new", name="create_metric")
def create_metric(request: Request, visitor: Acting) -> Response:
    body, paths = metric_body(visitor.form)
    try:
        metric = catalog.create_metric(
            visitor.ctx, parsed(MetricCreate, body).model_dump(mode="json"))
    except KassaError as exc:
        return _form_page(request, visitor, status=422, values=visitor.form.values(),
                          errors=errors_by_input(exc, paths, INPUTS))
    return done(request, "catalog_metric", "created", metric_id=metric["id"])


@router.get("/{metric_id}", name="catalog_metric")
def metric_page(request: Request, visitor: Viewing, metric_id: str) -> Response:
    metric = catalog.get_metric(visitor.ctx, metric_id)
    return catalog_page(request, "catalog/metric.html", "catalog_metrics", what="metric",
                        title=metric["name"], metric=metric, methods=dict(METHODS),
                        operators=dict(OPERATORS), joins=dict(JOINS))


@router.get("/{metric_id}/edit", name="edit_metric")
def edit_metric_form(request: Request, visitor: ActingForm, metric_id: str) -> Response:
    return _form_page(request, visitor, metric=catalog.get_metric(visitor.ctx, metric_id))


@router.post("/{metric_id}/edit", name="update_metric")
def update_metric(request: Request, visitor: Acting, metric_id: str) -> Response:
    """Save the metric as the form describes it (PATCH /metrics); filters stay as they are
    when the metric has several filter groups (the form edits one)."""
    metric = catalog.get_metric(visitor.ctx, metric_id)
    body, paths = metric_body(visitor.form)
    if len(metric["filter_groups"]) > 1:
        body.pop("filter_groups", None)
    try:
        changes = parsed(MetricUpdate, body).model_dump(mode="json", exclude_unset=True)
        catalog.update_metric(visitor.ctx, metric_id, changes)
    except KassaError as exc:
        return _form_page(request, visitor, status=422, values=visitor.form.values(),
                          errors=errors_by_input(exc, paths, INPUTS), metric=metric)
    return done(request, "catalog_metric", "updated", metric_id=metric_id)


@router.post("/{metric_id}/archive", name="archive_metric")
def archive_metric(request: Request, visitor: Acting, metric_id: str) -> Response:
    metric = catalog.archive_metric(visitor.ctx, metric_id)
    return done(request, "catalog_metric", "archived", metric_id=metric["id"])
