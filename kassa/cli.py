"""The ``kassa`` command: serve, worker, database migrations and API keys."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kassa.config import Settings, SettingsError, load_settings

app = typer.Typer(help="Kassa: open-source billing for B2B software.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (shown once, stored hashed).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")

err = Console(stderr=True)


class Environment(str, Enum):
    sandbox = "sandbox"
    production = "production"


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _engine(settings: Settings):  # noqa: ANN202
    from kassa.store.engine import make_engine

    return make_engine(settings.database_url, pool_size=settings.db_pool_size)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (KASSA_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (KASSA_PORT)")] = None,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Run one embedded worker thread (KASSA_EMBEDDED_WORKER; default on)",
        ),
    ] = True,
) -> None:
    """Migrate the database and run the API server (with an embedded worker by default)."""
    import uvicorn

    from kassa.api.app import create_app
    from kassa.bootstrap import build
    from kassa.services import keys
    from kassa.store.migrate import upgrade

    settings = _settings(host=host, port=port, embedded_worker=None if worker else False)
    kassa_app = build(settings)
    upgrade(kassa_app.engine)
    base = f"http://{settings.host}:{settings.port}"
    if keys.count_keys(kassa_app.engine) == 0:
        _, secret = keys.create_key(kassa_app.engine, "sandbox", "default sandbox key")
        print("Created your first API key (sandbox). It is shown only this once:")
        print(f"  {secret}")
        print("Try it:")
        print(f'  curl -s {base}/customers -H "Authorization: Bearer {secret}"', flush=True)
    print(f"Kassa is serving on {base}  (API docs: {base}/docs)", flush=True)
    uvicorn.run(
        create_app(kassa_app),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.log_level == "debug",
    )


@app.command("worker")
def worker_command(
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="Worker threads (each claims its own jobs)")
    ] = 4,
) -> None:
    """Run jobs and all due work (webhooks, retries...) for both environments until SIGTERM.

    Production runs in real time; the sandbox at its own clock. On PostgreSQL any number of
    workers, on any number of hosts, share the work. SIGTERM or Ctrl-C stops gracefully: the
    jobs in hand are finished first.
    """
    import logging
    import signal

    from kassa.bootstrap import build
    from kassa.store.migrate import upgrade
    from kassa.worker import Worker

    settings = _settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    kassa_app = build(settings)
    upgrade(kassa_app.engine)
    runner = Worker(kassa_app, concurrency=concurrency)

    def _stop(signum: int, _frame: object) -> None:
        err.print(f"kassa worker: {signal.Signals(signum).name}, finishing the work in hand...")
        runner.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner.start()
    err.print(f"kassa worker: running with {concurrency} threads "
              f"on {kassa_app.engine.dialect.name}", highlight=False)
    while not runner.join(timeout=0.5):
        pass
    kassa_app.close()
    ran = ", ".join(f"{k}={v}" for k, v in sorted(runner.counts.items())) or "nothing"
    err.print(f"kassa worker: stopped; ran {ran}", highlight=False)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from kassa.store.migrate import current_revision, upgrade

    engine = _engine(_settings())
    upgrade(engine, revision)
    err.print(f"Database at revision {current_revision(engine)}.")


@keys_app.command("create")
def keys_create(
    environment: Annotated[Environment, typer.Option(help="sandbox or production")],
    name: Annotated[str, typer.Option(help="What the key is for")],
) -> None:
    """Create a key and print it (only the key, on stdout: KEY=$(kassa keys create ...))."""
    from kassa.domain.errors import KassaError
    from kassa.services import keys
    from kassa.store.migrate import upgrade

    engine = _engine(_settings())
    upgrade(engine)
    try:
        _, secret = keys.create_key(engine, environment.value, name)
    except KassaError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(2) from None
    sys.stdout.write(secret + "\n")


@keys_app.command("list")
def keys_list() -> None:
    """List keys (prefixes only: the secrets are not stored)."""
    from kassa.services import keys
    from kassa.store.migrate import upgrade

    engine = _engine(_settings())
    upgrade(engine)
    table = Table("id", "environment", "name", "prefix", "created", "revoked")
    for key in keys.list_keys(engine):
        table.add_row(
            key["id"],
            key["environment"],
            key["name"],
            key["prefix"] + "…",
            key["created_at"],
            key["revoked_at"] or "",
        )
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke key KEY_ID: requests with it get 401 from now on."""
    from kassa.domain.errors import KassaError
    from kassa.services import keys

    engine = _engine(_settings())
    try:
        key = keys.revoke_key(engine, key_id)
    except KassaError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
    err.print(f"Revoked {key['id']} ({key['name']}).")


if __name__ == "__main__":
    app()
