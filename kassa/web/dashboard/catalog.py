"""Catalog: its tabs (Products, Plans, Metrics, Bundles), and Products: the list with search,
New Product, a product's page, Edit and Archive, through the services of /products and read by
the API's request schemas. Plans and bundles are in ``catalog_plans``, metrics in
``catalog_metrics``. Catalog changes are billing data: members and admins make them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from kassa.api.schemas.catalog import ProductCreate, ProductUpdate
from kassa.domain.errors import KassaError
from kassa.services import catalog
from kassa.web.auth import Acting, ActingForm, Viewing, Visitor
from kassa.web.dashboard.listing import PageNumber, page_count, page_query
from kassa.web.form_paths import nested
from kassa.web.forms import Form, field_errors, parsed
from kassa.web.rendering import page, url

router = APIRouter(prefix="/catalog")

# The tabs of Catalog: (label, route name of its list); the labels are the issue's.
TABS = [("Products", "catalog"), ("Plans", "catalog_plans"), ("Metrics", "catalog_metrics"),
        ("Bundles", "catalog_bundles")]
# What a finished action says on the page it comes back to (``?done=``).
DONE = {"created": "Created the {what}.", "updated": "Saved the {what}.",
        "archived": "Archived the {what}: new subscriptions can no longer use it."}
FEE_TYPES = [("fixed", "Fixed (a recurring or one-off fee)"), ("metered", "Metered (usage)")]
PAYMENT_TERMS = [("", "As the fee type bills"), ("advance", "In advance"),
                 ("arrears", "In arrears")]
FREQUENCIES = [("", "None (metered)"), ("recurring", "Recurring"), ("one-off", "One-off")]
PRODUCT_TEXT = ("name", "description", "fee_type", "payment_terms", "billing_frequency", "sku",
                "unit_label_singular", "unit_label_plural")
PRODUCT_INPUTS = {name: name for name in PRODUCT_TEXT} | {"metric_ids": "metric_ids"}
METRICS_SHOWN = 100


def catalog_page(request: Request, template: str, tab: str, *, status: int = 200,
                 what: str = "", **context: Any) -> Response:
    """``template`` within Catalog, its tab marked; ``?done=`` says what the last action did."""
    done = DONE.get(request.query_params.get("done", ""), "")
    return page(request, template, status=status, active="catalog", tabs=TABS, tab=tab,
                done=done.format(what=what) if done else None, **context)


def done(request: Request, name: str, what: str, **params: str) -> Response:
    """Back to ``name``'s page after a change, saying what it was."""
    return RedirectResponse(url(request, name, **params) + f"?done={what}", status_code=303)


@router.get("", name="catalog")
def product_list(request: Request, visitor: Viewing,
                 q: Annotated[str, Query(max_length=200)] = "",
                 page_number: PageNumber = 1) -> Response:
    """Products by name, searched by name, SKU or id."""
    q = q.strip()
    found = catalog.list_products(visitor.ctx, page_query(
        page_number, {"search": [q]} if q else {}, sort=("name", "asc")))
    return catalog_page(request, "catalog/products.html", "catalog", title="Catalog",
                        partial="catalog/_products.html", what="product", q=q, found=found,
                        page_number=page_number, pages=page_count(found))


def _metric_choices(visitor: Visitor) -> list[dict[str, Any]]:
    return catalog.list_metrics(visitor.ctx, page_query(1, sort=("name", "asc"),
                                                       per_page=METRICS_SHOWN)).rows


def _form_page(request: Request, visitor: Visitor, product: dict[str, Any] | None, *,
               status: int = 200, values: dict[str, str] | None = None,
               errors: dict[str, str] | None = None) -> Response:
    if values is None and product is not None:
        values = {k: product[k] or "" for k in PRODUCT_TEXT} | {
            f"metric_ids[{n}]": m for n, m in enumerate(product["metric_ids"])}
    values = values if values is not None else {"fee_type": "fixed",
                                                "billing_frequency": "recurring"}
    chosen = {v for k, v in values.items() if k.startswith("metric_ids[")}
    return catalog_page(request, "catalog/product_form.html", "catalog", status=status,
                        title=f"Edit {product['name']}" if product else "New Product",
                        product=product, values=values, errors=errors or {},
                        metrics=_metric_choices(visitor), chosen=chosen, fee_types=FEE_TYPES,
                        payment_terms=PAYMENT_TERMS, frequencies=FREQUENCIES)


def product_body(form: Form) -> dict[str, Any]:
    """The product the form describes, as POST /products and PATCH take it (an emptied
    optional field is cleared)."""
    body: dict[str, Any] = {name: form.text(name) or None for name in PRODUCT_TEXT}
    body["metric_ids"] = nested(form.fields, ["metric_ids"])[0].get("metric_ids", [])
    return body


@router.get("/products/new", name="new_product")
def new_product(request: Request, visitor: ActingForm) -> Response:
    return _form_page(request, visitor, None)


@router.post("/products/new", name="create_product")
def create_product(request: Request, visitor: Acting) -> Response:
    return _save(request, visitor, None)


def _save(request: Request, visitor: Visitor, product: dict[str, Any] | None) -> Response:
    """Create the product the form describes (POST /products), or save ``product`` with it
    (PATCH); a refusal shows the form again, each message beside its field."""
    try:
        if product is None:
            body = parsed(ProductCreate, product_body(visitor.form))
            saved = catalog.create_product(visitor.ctx, body.model_dump())
        else:
            changes = parsed(ProductUpdate, product_body(visitor.form))
            saved = catalog.update_product(visitor.ctx, product["id"],
                                           changes.model_dump(exclude_unset=True))
    except KassaError as exc:
        return _form_page(request, visitor, product, status=422, values=visitor.form.values(),
                          errors=field_errors(exc, PRODUCT_INPUTS))
    return done(request, "catalog_product", "updated" if product else "created",
                product_id=saved["id"])


@router.get("/products/{product_id}", name="catalog_product")
def product_page(request: Request, visitor: Viewing, product_id: str) -> Response:
    product = catalog.get_product(visitor.ctx, product_id)
    names = {m["id"]: m["name"] for m in _metric_choices(visitor)}
    return catalog_page(request, "catalog/product.html", "catalog", what="product",
                        title=product["name"], product=product, metric_names=names)


@router.get("/products/{product_id}/edit", name="edit_product")
def edit_product_form(request: Request, visitor: ActingForm, product_id: str) -> Response:
    return _form_page(request, visitor, catalog.get_product(visitor.ctx, product_id))


@router.post("/products/{product_id}/edit", name="update_product")
def update_product(request: Request, visitor: Acting, product_id: str) -> Response:
    return _save(request, visitor, catalog.get_product(visitor.ctx, product_id))


@router.post("/products/{product_id}/archive", name="archive_product")
def archive_product(request: Request, visitor: Acting, product_id: str) -> Response:
    product = catalog.archive_product(visitor.ctx, product_id)
    return done(request, "catalog_product", "archived", product_id=product["id"])
