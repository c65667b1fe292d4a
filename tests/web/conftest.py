"""Browser tests: a real server per database backend (SQLite, and PostgreSQL when the suite runs
on it) and Playwright driving Debian's Chromium; one browser per session, a fresh context
(cookies) per test. Without /usr/bin/chromium the tests skip, except under CI, where they fail.

A page is the same on both databases wherever it only calls services (the API tests run those on
both), so browser tests run on SQLite, the database of `make run`, and on PostgreSQL only in the
modules marked ``pytestmark = pytest.mark.both_backends``: those whose pages run SQL of their own
(reports, search, filtered and counted lists, the session store). That keeps `make test` in its
time budget; the rest of the PostgreSQL runs are deselected, and listed as such, never skipped.

Every test also checks that the pages loaded nothing from any host but Kassa's."""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import BACKENDS, scratch_postgres
from tests.web.server import PASSWORD, Server, start

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    sqlite_only = [item for item in items
                   if item.path.is_relative_to(here) and _on_postgres(item)
                   and item.get_closest_marker("both_backends") is None]
    if sqlite_only:
        config.hook.pytest_deselected(items=sqlite_only)
        chosen = set(map(id, sqlite_only))
        items[:] = [item for item in items if id(item) not in chosen]


def _on_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "postgres" in callspec.params.values()


@contextmanager
def serving(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a scratch database of ``backend`` (sqlite or postgres), stopped after."""
    if backend == "sqlite":
        running = start(f"sqlite:///{tmp_path_factory.mktemp('web') / 'kassa.db'}")
        yield running
        running.stop()
        return
    with scratch_postgres("kassa_web") as url:
        running = start(url)
        yield running
        running.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    with serving(request.param, tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module", params=BACKENDS)
def own_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A server for one test module alone, for a module whose tests leave live subscriptions
    or approval rules behind (a later advance of the shared sandbox clock would bill them, a
    later activation meet them). The module overrides ``server`` with it:
    ``@pytest.fixture(scope="module") def server(own_server): return own_server``."""
    with serving(request.param, tmp_path_factory) as running:
        yield running


def serve(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``serving`` as a generator, for a module-scoped ``server`` fixture of a module that moves
    the sandbox clock (``yield from serve(...)``): its clock and data are its own."""
    with serving(backend, tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # as patient as the actions, on a busy machine
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


def _new_page(browser: Any, server: Server, contexts: list, outside: list) -> Any:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    contexts.append(context)
    origin = urlsplit(server.url).netloc

    def watch(request: Any) -> None:
        if urlsplit(request.url).netloc != origin:
            outside.append(request.url)

    context.on("request", watch)
    return context.new_page()


@pytest.fixture
def open_page(browser: Any, server: Server) -> Iterator[Any]:
    """``open_page()``: a page in a new browser context (its own cookies)."""
    contexts: list = []
    outside: list[str] = []
    yield lambda: _new_page(browser, server, contexts, outside)
    for context in contexts:
        context.close()
    assert outside == [], "pages loaded something from another host"


@pytest.fixture
def page(open_page: Any) -> Any:
    return open_page()


def text_of(answer: Any) -> str:
    """The text of a page fetched with ``page.request`` (entities decoded)."""
    return html.unescape(answer.text())


def nav(page: Any, name: str) -> Any:
    """The sidebar's link ``name``."""
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


def error_beside(page: Any, field: Any, message: str) -> None:
    """``field`` is marked invalid, and the note it points to says ``message``."""
    from playwright.sync_api import expect

    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{field.get_attribute('aria-describedby')}")).to_have_text(message)


def sign_in(page: Any, email: str, password: str = PASSWORD, *, path: str = "/dashboard/") -> None:
    """Sign in through the sign-in page, ending on ``path``."""
    page.goto(path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}")


@pytest.fixture
def sandbox_api(server: Server) -> Iterator[Any]:
    """An HTTP client of ``server``'s API with a new sandbox key (to set data up and to read
    back what a page did)."""
    import httpx

    from tests.conftest import API_VERSION_HEADERS

    client = httpx.Client(base_url=server.url, timeout=60, headers={  # a busy machine is slow
        **API_VERSION_HEADERS, "Authorization": f"Bearer {server.key('sandbox')}"})
    yield client
    client.close()


@pytest.fixture
def admin_email(server: Server) -> str:
    return server.user("admin")


@pytest.fixture
def admin(page: Any, admin_email: str) -> Any:
    """A page signed in as a new admin (``admin_email``)."""
    sign_in(page, admin_email)
    return page
