"""Catalog -> Plans and Bundles: the lists, a plan's page with its items and prices (a bundle's
with its products), New Plan (name, description, currency, contract term, payment terms, then
the items with their prices: ``price_forms``) and New Bundle, and Archive; through the services
of /plans and /bundles, the form read by ``PlanCreate`` and ``BundleCreate``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from kassa.api.schemas.plans import BundleCreate, PlanCreate
from kassa.api.schemas.subscriptions import PaymentTerms
from kassa.domain.errors import KassaError
from kassa.services import plans
from kassa.services.common import names_by_id
from kassa.services.context import Ctx
from kassa.store.tables import bundles, metrics, products
from kassa.web.auth import Acting, ActingForm, Viewing, Visitor
from kassa.web.dashboard import price_forms
from kassa.web.dashboard.catalog import catalog_page, done
from kassa.web.dashboard.listing import PageNumber, page_count, page_query
from kassa.web.form_paths import errors_by_input, nested
from kassa.web.forms import parsed

router = APIRouter(prefix="/catalog")

TERMS = [("monthly_rolling", "Monthly rolling (no commitment)"), ("fixed", "Fixed term")]
PAYMENT_TERMS = [("", "The customer's default")] + [
    (t, "Due on receipt" if t == "due_on_receipt" else t.replace("net_", "Net ") + " days")
    for t in PaymentTerms.__args__]
# What each kind's form asks besides its items, and the inputs its errors may be shown beside.
KINDS: dict[str, dict[str, Any]] = {
    "plan": {"roots": ("name", "description", "currency", "contract", "billing"),
             "inputs": ["name", "description", "currency", "contract", "contract.period_type",
                        "contract.duration_months", "billing", "billing.payment_terms",
                        "bundle_ids"],
             "schema": PlanCreate, "create": plans.create_plan, "tab": "catalog_plans",
             "title": "New Plan", "page": "catalog_plan", "id": "plan_id"},
    "bundle": {"roots": ("name", "description"), "inputs": ["name", "description"],
               "schema": BundleCreate, "create": plans.create_bundle, "tab": "catalog_bundles",
               "title": "New Bundle", "page": "catalog_bundle", "id": "bundle_id"},
}


def _list(request: Request, visitor: Visitor, kind: str, listing: Callable, page_number: int,
          ) -> Response:
    found = listing(visitor.ctx, page_query(page_number, sort=("name", "asc")))
    names = names_by_id(visitor.ctx, products, [i["product_id"] for row in found.rows
                                                for i in row["items"] if i.get("product_id")])
    return catalog_page(request, f"catalog/{kind}s.html", KINDS[kind]["tab"],
                        title=f"{kind.capitalize()}s", what=kind, found=found,
                        page_number=page_number, pages=page_count(found), names=names)


@router.get("/plans", name="catalog_plans")
def plan_list(request: Request, visitor: Viewing, page_number: PageNumber = 1) -> Response:
    return _list(request, visitor, "plan", plans.list_plans, page_number)


@router.get("/bundles", name="catalog_bundles")
def bundle_list(request: Request, visitor: Viewing, page_number: PageNumber = 1) -> Response:
    return _list(request, visitor, "bundle", plans.list_bundles, page_number)


def _form_page(request: Request, visitor: Visitor, kind: str, *, status: int = 200,
               values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
               step: str = "") -> Response:
    """The New Plan or New Bundle form; for htmx, only its items (a row's price fields swap
    when its type changes)."""
    if values is None:
        values = {"currency": visitor.ctx.settings.default_currency,
                  "contract.period_type": "monthly_rolling"}
    found, values = price_forms.rows(values, step)
    offered = [] if kind != "plan" else plans.list_bundles(visitor.ctx, page_query(
        1, sort=("name", "asc"), per_page=price_forms.OPTIONS_SHOWN)).rows
    return catalog_page(request, "catalog/item_form.html", KINDS[kind]["tab"],
                        partial="catalog/_items.html", status=status, kind=kind,
                        title=KINDS[kind]["title"], values=values, errors=errors or {},
                        terms=TERMS, payment_terms=PAYMENT_TERMS, bundles=offered,
                        chosen_bundles=set(_bundle_ids(values)),
                        **price_forms.editor(visitor.ctx, found))


def _bundle_ids(fields: dict[str, str]) -> list[str]:
    """The bundles checked on New Plan (each becomes an item ``{bundle_id}``, with the bundle's
    own products and prices)."""
    return nested(fields, ["bundle_ids"])[0].get("bundle_ids", [])


def _create(request: Request, visitor: Visitor, kind: str) -> Response:
    """Create (``step`` create or none): the plan or bundle the form describes; any other
    ``step`` (Add item, Add tier, Remove, Show fields) shows the form again, changed."""
    form, spec = visitor.form, KINDS[kind]
    step = form.text("step")
    if step not in ("", "create"):
        return _form_page(request, visitor, kind, values=form.values(), step=step)
    body, paths = nested(form.fields, spec["roots"])
    body["items"], paths.children["items"] = price_forms.read_items(form.fields)
    if kind == "plan":
        body["items"] += [{"bundle_id": bundle_id} for bundle_id in _bundle_ids(form.values())]
    try:
        schema: BaseModel = parsed(spec["schema"], body)
        created = spec["create"](visitor.ctx, schema.data())  # type: ignore[attr-defined]
    except KassaError as exc:
        found, _ = price_forms.rows(form.values())
        errors = errors_by_input(exc, paths, spec["inputs"] + price_forms.inputs(found))
        return _form_page(request, visitor, kind, status=422, values=form.values(),
                          errors=errors)
    return done(request, spec["page"], "created", **{spec["id"]: created["id"]})


def _new(kind: str):  # noqa: ANN202
    def show(request: Request, visitor: ActingForm) -> Response:
        return _form_page(request, visitor, kind)

    def post(request: Request, visitor: Acting) -> Response:
        return _create(request, visitor, kind)

    return show, post


# New Plan and New Bundle: the form (members and admins), and what it posts.
for _kind in KINDS:
    _show, _post = _new(_kind)
    router.add_api_route(f"/{_kind}s/new", _show, methods=["GET"], name=f"new_{_kind}")
    router.add_api_route(f"/{_kind}s/new", _post, methods=["POST"], name=f"create_{_kind}")


def _names(ctx: Ctx, items: list[dict[str, Any]]) -> dict[str, str]:
    """Names of the products, bundles and metrics ``items`` refer to."""
    children = [c for i in items for c in (i.get("items") or [i])]
    return (names_by_id(ctx, products, [c["product_id"] for c in children])
            | names_by_id(ctx, bundles, [i["bundle_id"] for i in items if i.get("bundle_id")])
            | names_by_id(ctx, metrics, [m for c in children
                                         for m in c["price"].get("metric_ids") or []]))


def _object_page(request: Request, visitor: Visitor, kind: str, found: dict[str, Any]
                 ) -> Response:
    return catalog_page(request, "catalog/priced.html", KINDS[kind]["tab"], what=kind,
                        title=found["name"], kind=kind, obj=found,
                        names=_names(visitor.ctx, found["items"]),
                        type_labels=price_forms.TYPE_LABELS, terms=dict(TERMS),
                        payment_terms=dict(PAYMENT_TERMS))


@router.get("/plans/{plan_id}", name="catalog_plan")
def plan_page(request: Request, visitor: Viewing, plan_id: str) -> Response:
    return _object_page(request, visitor, "plan", plans.get_plan(visitor.ctx, plan_id))


@router.get("/bundles/{bundle_id}", name="catalog_bundle")
def bundle_page(request: Request, visitor: Viewing, bundle_id: str) -> Response:
    return _object_page(request, visitor, "bundle", plans.get_bundle(visitor.ctx, bundle_id))


@router.post("/plans/{plan_id}/archive", name="archive_plan")
def archive_plan(request: Request, visitor: Acting, plan_id: str) -> Response:
    plan = plans.archive_plan(visitor.ctx, plan_id)
    return done(request, "catalog_plan", "archived", plan_id=plan["id"])


@router.post("/bundles/{bundle_id}/archive", name="archive_bundle")
def archive_bundle(request: Request, visitor: Acting, bundle_id: str) -> Response:
    bundle = plans.archive_bundle(visitor.ctx, bundle_id)
    return done(request, "catalog_bundle", "archived", bundle_id=bundle["id"])
