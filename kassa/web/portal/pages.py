"""Opening a portal link, and the portal's pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from kassa.domain.errors import Gone
from kassa.services.portal import sessions
from kassa.web.portal.auth import Posting, Visiting, clear_cookie, set_cookie
from kassa.web.public import Refused, render
from kassa.web.rendering import url

router = APIRouter()


@router.get("/open/{token}", name="open_portal")
async def open_portal(request: Request, token: str) -> Response:
    """Spend the link's token for a visit cookie, then show the portal (the token leaves the
    address bar: the redirect drops it)."""
    kassa = request.app.state.kassa
    try:
        visit, cookie = await run_in_threadpool(
            sessions.open_link, kassa.engine, token, kassa.wall_clock.now())
    except Gone as exc:
        raise Refused(410, exc.detail) from None
    request.state.environment = visit.environment
    response = RedirectResponse(url(request, "portal_home"), status_code=303)
    set_cookie(response, request, cookie)
    return response


@router.get("/", name="portal_home")
def portal_home(request: Request, customer: Visiting) -> Response:
    return render(request, "portal/home.html", environment=customer.environment,
                  title="Billing", customer=customer)


@router.post("/sign-out", name="portal_sign_out")
def sign_out(request: Request, customer: Posting) -> Response:
    sessions.end_visit(customer.kassa.engine, request.cookies.get("kassa_portal", ""))
    target = customer.visit.return_url or url(request, "portal_signed_out")
    response = RedirectResponse(target, status_code=303)
    clear_cookie(response, request)
    return response


@router.get("/signed-out", name="portal_signed_out")
def signed_out(request: Request) -> Response:
    return render(request, "customer/error.html", environment=None, title="Signed out",
                  detail="You have left the billing portal.", status_code=200)
