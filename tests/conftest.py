"""Shared fixtures. Database tests run once on SQLite and, when KASSA_TEST_POSTGRES_URL is set,
once more on PostgreSQL (a fresh database per run, dropped at the end)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from kassa.api.app import create_app
from kassa.bootstrap import Kassa, build
from kassa.config import Settings
from kassa.services import keys
from kassa.store.engine import make_engine
from kassa.store.migrate import upgrade
from kassa.store.tables import metadata

POSTGRES_URL = os.environ.get("KASSA_TEST_POSTGRES_URL")
# WeasyPrint takes about a fifth of a second per PDF: the suite renders an invoice's PDF at its
# issue only where a test asks for it (tests/api/test_pdfs.py); a download renders it anyway.
os.environ.setdefault("KASSA_RENDER_PDFS_ON_ISSUE", "false")
# The operator key webhook secrets are sealed under (without it Kassa would generate a key file in
# the working directory); tests of the key file itself pass secret_key=None.
TEST_OPERATOR_KEY = "test-operator-key-0123456789abcdefghijklmnop"
os.environ.setdefault("KASSA_SECRET_KEY", TEST_OPERATOR_KEY)
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
API_VERSION_HEADERS = {"Alguna-Version": "2026-04-01"}


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database on KASSA_TEST_POSTGRES_URL's server, dropped
    afterwards; a set but unreachable server fails the test, never skips it."""
    assert POSTGRES_URL
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # set but unreachable: fail, never skip
        pytest.fail(f"KASSA_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {exc}")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'kassa.db'}"
        return
    with scratch_postgres("kassa_test") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url, pool_size=5)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def backend(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def pg_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL-only test (runs in the PostgreSQL half of the suite)")


def wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, embedded_worker=False)


@pytest.fixture
def kassa(settings: Settings, engine: Engine) -> Iterator[Kassa]:
    wipe(engine)
    app = build(settings, engine=engine)
    yield app
    app.outbound.close()


@pytest.fixture
def app(kassa: Kassa) -> Any:
    return create_app(kassa)


def _client(app: Any, key: str | None) -> TestClient:
    headers = dict(API_VERSION_HEADERS)
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return TestClient(app, headers=headers, raise_server_exceptions=False)


@pytest.fixture
def sandbox_key(kassa: Kassa) -> str:
    return keys.create_key(kassa.engine, "sandbox", "tests")[1]


@pytest.fixture
def production_key(kassa: Kassa) -> str:
    return keys.create_key(kassa.engine, "production", "tests")[1]


@pytest.fixture
def api(app: Any, sandbox_key: str) -> Iterator[TestClient]:
    """A client authenticated with a sandbox key."""
    with _client(app, sandbox_key) as client:
        yield client


@pytest.fixture
def prod_api(app: Any, production_key: str) -> Iterator[TestClient]:
    """A client authenticated with a production key."""
    with _client(app, production_key) as client:
        yield client


@pytest.fixture
def anon(app: Any) -> Iterator[TestClient]:
    """A client without an API key."""
    with _client(app, None) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Any]:
    """A real webhook receiver on loopback (see tests/webhooks/receiver.py)."""
    from tests.webhooks.receiver import Receiver

    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A real SMTP server on loopback: ``host``, ``port``, ``url()`` (for KASSA_SMTP_URL) and
    ``messages``, each received message parsed with ``email`` (see tests/channels/smtp.py)."""
    from tests.channels.smtp import SmtpServer

    server = SmtpServer()
    yield server
    server.close()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes() -> Iterator[None]:
    """Dashboard passwords in tests are Argon2id at its cheapest parameters: checking one costs
    a millisecond instead of most of a second. Kassa itself (and the ``kassa`` command run as a
    process) keeps argon2-cffi's RFC 9106 defaults (kassa.services.users)."""
    from argon2 import PasswordHasher, profiles

    from kassa.services import users

    production, users.hasher = users.hasher, PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    users.hasher = production
