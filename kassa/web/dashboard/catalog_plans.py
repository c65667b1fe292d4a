"""Catalog -> Plans and Bundles: the lists, a plan's page with its items and prices (a bundle's
with its products), New Plan (name, description, currency, contract term, payment terms, then
the items with their prices: ``price_forms``) and New Bundle, Edit (the same form, filled in
from the plan or bundle; a plan's currency stays) and Archive; through the services of /plans
and /bundles, the form read by ``PlanCreate`` and ``BundleCreate`` (``PlanUpdate`` and
``BundleUpdate`` when editing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from kassa.api.schemas.plans import BundleCreate, BundleUpdate, PlanCreate, PlanUpdate
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
from kassa.web.form_paths import errors_by_input, form_values, nested
from kassa.web.forms import parsed
from kassa.web.rendering import url

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
             "title": "New Plan", "page": "catalog_plan", "id": "plan_id",
             "update_schema": PlanUpdate, "update": plans.update_plan, "get": plans.get_plan},
    "bundle": {"roots": ("name", "description"), "inputs": ["name", "description"],
               "schema": BundleCreate, "create": plans.create_bundle, "tab": "catalog_bundles",
               "title": "New Bundle", "page": "catalog_bundle", "id": "bundle_id",
               "update_schema": BundleUpdate, "update": plans.update_bundle,
               "get": plans.get_bundle},
}
EDITED = ("name", "description", "contract", "billing")  # a plan's fields the form shows
# The parts of those the form has inputs for (the others, set through the API, are kept).
SHOWN = {"contract": ("period_type", "duration_months"), "billing": ("payment_terms",)}


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
               step: str = "", obj: dict[str, Any] | None = None) -> Response:
    """The New Plan or New Bundle form, or the Edit form of ``obj`` (filled in from it); for
    htmx, only its items (a row's price fields swap when its type changes)."""
    if values is None:
        values = _values(obj) if obj is not None else {
            "currency": visitor.ctx.settings.default_currency,
            "contract.period_type": "monthly_rolling"}
    found, values = price_forms.rows(values, step)
    offered = [] if kind != "plan" else plans.list_bundles(visitor.ctx, page_query(
        1, sort=("name", "asc"), per_page=price_forms.OPTIONS_SHOWN)).rows
    spec = KINDS[kind]
    action = (url(request, f"update_{kind}", object_id=obj["id"]) if obj is not None
              else url(request, f"create_{kind}"))
    return catalog_page(request, "catalog/item_form.html", spec["tab"],
                        partial="catalog/_items.html", status=status, kind=kind, obj=obj,
                        title=f"Edit {obj['name']}" if obj else spec["title"], action=action,
                        submit="Save" if obj else spec["title"].replace("New", "Create"),
                        values=values, errors=errors or {},
                        terms=TERMS, payment_terms=PAYMENT_TERMS, bundles=offered,
                        chosen_bundles=set(_bundle_ids(values)),
                        **price_forms.editor(visitor.ctx, found))


def _values(obj: dict[str, Any]) -> dict[str, str]:
    """The form's inputs filled from a stored plan or bundle: its priced items as rows, the
    bundles a plan holds as checked boxes."""
    priced = [i for i in obj["items"] if not i.get("bundle_id")]
    return form_values({k: obj[k] for k in EDITED if k in obj} | {"items": priced}) | {
        f"bundle_ids[{n}]": i["bundle_id"]
        for n, i in enumerate(i for i in obj["items"] if i.get("bundle_id"))}


def _bundle_ids(fields: dict[str, str]) -> list[str]:
    """The bundles checked on New Plan (each becomes an item ``{bundle_id}``, with the bundle's
    own products and prices)."""
    return nested(fields, ["bundle_ids"])[0].get("bundle_ids", [])


def _save(request: Request, visitor: Visitor, kind: str,
          obj: dict[str, Any] | None = None) -> Response:
    """Create (``step`` create or none) the plan or bundle the form describes, or save ``obj``
    with it; any other ``step`` (Add item, Add tier, Remove, Show fields) shows the form again,
    changed."""
    form, spec = visitor.form, KINDS[kind]
    step = form.text("step")
    if step not in ("", "create"):
        return _form_page(request, visitor, kind, values=form.values(), step=step, obj=obj)
    roots = spec["roots"] if obj is None else [r for r in spec["roots"] if r != "currency"]
    body, paths = nested(form.fields, roots)
    body["items"], paths.children["items"] = price_forms.read_items(form.fields)
    if kind == "plan":
        body["items"] += [{"bundle_id": bundle_id} for bundle_id in _bundle_ids(form.values())]
    if obj is not None:  # an emptied description is cleared; what the form doesn't show stays
        body.setdefault("description", None)
        for name, shown in SHOWN.items():
            kept = {k: v for k, v in (obj.get(name) or {}).items()
                    if k not in shown and v is not None}
            if kind == "plan" and (kept or name in body):
                body[name] = kept | body.get(name, {})
    try:
        if obj is None:
            schema: BaseModel = parsed(spec["schema"], body)
            saved = spec["create"](visitor.ctx, schema.data())  # type: ignore[attr-defined]
        else:
            schema = parsed(spec["update_schema"], body)
            saved = spec["update"](visitor.ctx, obj["id"],
                                   schema.data())  # type: ignore[attr-defined]
    except KassaError as exc:
        found, _ = price_forms.rows(form.values())
        errors = errors_by_input(exc, paths, spec["inputs"] + price_forms.inputs(found))
        return _form_page(request, visitor, kind, status=422, values=form.values(),
                          errors=errors, obj=obj)
    return done(request, spec["page"], "updated" if obj else "created",
                **{spec["id"]: saved["id"]})


def _new(kind: str):  # noqa: ANN202
    def show(request: Request, visitor: ActingForm) -> Response:
        return _form_page(request, visitor, kind)

    def post(request: Request, visitor: Acting) -> Response:
        return _save(request, visitor, kind)

    def show_edit(request: Request, visitor: ActingForm, object_id: str) -> Response:
        return _form_page(request, visitor, kind, obj=KINDS[kind]["get"](visitor.ctx, object_id))

    def post_edit(request: Request, visitor: Acting, object_id: str) -> Response:
        return _save(request, visitor, kind, KINDS[kind]["get"](visitor.ctx, object_id))

    return show, post, show_edit, post_edit


# New Plan and New Bundle, and Edit: the forms (members and admins), and what they post.
for _kind in KINDS:
    _show, _post, _show_edit, _post_edit = _new(_kind)
    router.add_api_route(f"/{_kind}s/new", _show, methods=["GET"], name=f"new_{_kind}")
    router.add_api_route(f"/{_kind}s/new", _post, methods=["POST"], name=f"create_{_kind}")
    router.add_api_route(f"/{_kind}s/{{object_id}}/edit", _show_edit, methods=["GET"],
                         name=f"edit_{_kind}")
    router.add_api_route(f"/{_kind}s/{{object_id}}/edit", _post_edit, methods=["POST"],
                         name=f"update_{_kind}")


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
