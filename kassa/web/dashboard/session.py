"""Sign in, sign out, and the environment switcher."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from kassa.domain.errors import TooManyAttempts, Unauthorized
from kassa.services import sign_in as sessions
from kassa.web.auth import (
    SESSION_COOKIE,
    Posting,
    check_sign_in_token,
    clear_session_cookie,
    get_kassa,
    set_session_cookie,
    set_sign_in_cookie,
    sign_in_token,
)
from kassa.web.forms import read_form
from kassa.web.rendering import page, url

router = APIRouter()


def _next(request: Request, wanted: str) -> str:
    """Where to go after signing in or switching: a dashboard path, else Home."""
    root = str(request.scope.get("root_path", ""))
    if wanted.startswith(root + "/") and not wanted.startswith("//") and "\\" not in wanted:
        return wanted
    return url(request, "home")


def _sign_in_page(
    request: Request, *, wanted: str, email: str = "", error: str | None = None,
    status: int = 200, headers: dict[str, str] | None = None,
) -> Response:
    token = sign_in_token(request)
    response = page(request, "sign_in.html", status=status, headers=headers, token=token,
                    next=_next(request, wanted), email=email, error=error, title="Sign in")
    set_sign_in_cookie(response, request, token)
    return response


@router.get("/sign-in", name="sign_in")
def sign_in_form(request: Request, next: str = "") -> Response:
    kassa = get_kassa(request)
    if sessions.find_session(kassa.engine, request.cookies.get(SESSION_COOKIE),
                             kassa.wall_clock.now()):
        return RedirectResponse(_next(request, next), status_code=303)
    return _sign_in_page(request, wanted=next)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    check_sign_in_token(request, form)
    kassa = get_kassa(request)
    address = request.client.host if request.client else "unknown"
    wanted, email = form.get("next"), form.text("email")
    try:
        _, token = await run_in_threadpool(
            sessions.sign_in, kassa.engine, email, form.get("password"), address,
            kassa.wall_clock.now(),
        )
    except Unauthorized as exc:
        return _sign_in_page(request, wanted=wanted, email=email, error=exc.detail, status=401)
    except TooManyAttempts as exc:
        return _sign_in_page(request, wanted=wanted, email=email, error=exc.detail, status=429,
                             headers={"Retry-After": str(exc.retry_after)})
    response = RedirectResponse(_next(request, wanted), status_code=303)
    set_session_cookie(response, request, token)
    return response


@router.post("/sign-out", name="sign_out")
def sign_out(request: Request, visitor: Posting) -> Response:
    sessions.sign_out(visitor.kassa.engine, visitor.token)
    response = RedirectResponse(url(request, "sign_in"), status_code=303)
    clear_session_cookie(response, request)
    return response


@router.post("/environment", name="switch_environment")
def switch_environment(request: Request, visitor: Posting) -> Response:
    """Look at the sandbox or at production; back to the page the switcher was on."""
    sessions.switch_environment(visitor.kassa.engine, visitor.token,
                                visitor.form.text("environment"))
    return RedirectResponse(_next(request, visitor.form.get("next")), status_code=303)
