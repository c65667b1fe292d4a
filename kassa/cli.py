"""The ``kassa`` command: serve, worker, database migrations, API keys, dashboard users and the
operator key."""

from __future__ import annotations

import os
import sys
import sysconfig
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kassa.cli_common import engine as _engine
from kassa.cli_common import err
from kassa.cli_common import settings as _settings
from kassa.cli_secrets import check_operator_key, secrets_app
from kassa.cli_users import users_app
from kassa.config import Settings

# Markdown: a docstring's hard-wrapped lines are joined and rewrapped to the terminal.
app = typer.Typer(
    help="Kassa: open-source billing for B2B software.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (shown once, stored hashed).", no_args_is_help=True)
events_app = typer.Typer(help="Usage events.", no_args_is_help=True)
billing_app = typer.Typer(help="Billing runs.", no_args_is_help=True)
fx_app = typer.Typer(help="Exchange rates.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(events_app, name="events")
app.add_typer(billing_app, name="billing")
app.add_typer(fx_app, name="fx")
app.add_typer(secrets_app, name="secrets")

class Environment(str, Enum):
    sandbox = "sandbox"
    production = "production"


def _default(name: str) -> Any:
    """The default of setting NAME, for an option that the matching KASSA_* variable also sets."""
    return Settings.model_fields[name].default


def _kassa_command() -> str:
    """This kassa executable as the user can run it from here (it lives in the venv's bin)."""
    script = Path(sysconfig.get_path("scripts")) / "kassa"
    if not script.exists():
        return "kassa"
    return str(script.relative_to(Path.cwd())) if script.is_relative_to(Path.cwd()) else str(script)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(envvar="KASSA_HOST", help="The interface to listen on.")
    ] = _default("host"),
    port: Annotated[
        int, typer.Option(envvar="KASSA_PORT", help="The port to listen on.")
    ] = _default("port"),
    workers: Annotated[
        int,
        typer.Option(envvar="KASSA_WORKERS", min=1, max=64, help="The server processes to run."),
    ] = _default("workers"),
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            envvar="KASSA_EMBEDDED_WORKER",
            help="Run one worker thread in the server, so that one process does all the work.",
        ),
    ] = _default("embedded_worker"),
) -> None:
    """Migrate the database and run the API server (with an embedded worker by default)."""
    import uvicorn

    from kassa.bootstrap import asgi_app, build, settle_heap
    from kassa.services import keys, users
    from kassa.store.migrate import upgrade

    settings = _settings(host=host, port=port, workers=workers, embedded_worker=worker)
    kassa_app = build(settings)
    upgrade(kassa_app.engine)
    check_operator_key(settings, kassa_app.engine)
    base = f"http://{settings.host}:{settings.port}"
    if keys.count_keys(kassa_app.engine) == 0:
        _, secret = keys.create_key(kassa_app.engine, "sandbox", "default sandbox key")
        print("Created your first API key (sandbox). It is shown only this once:")
        print(f"  {secret}")
        print("Try it:")
        print(f'  curl -s {base}/customers -H "Authorization: Bearer {secret}"', flush=True)
    else:
        print("This database has API keys already (each was shown once). Make a new one with:")
        print(f"  {_kassa_command()} keys create --environment sandbox --name NAME", flush=True)
    print(f"Kassa is serving on {base}  (API docs: {base}/docs, dashboard: {base}/dashboard)",
          flush=True)
    if not users.list_users(kassa_app.engine):
        print("The dashboard has no users yet. Create the first (it prints the password):")
        print(f"  {_kassa_command()} users create --email you@example.com --role admin",
              flush=True)
    options = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": settings.log_level == "debug",
    }
    if settings.workers == 1:
        try:
            asgi = asgi_app(kassa_app)
            settle_heap()
            uvicorn.run(asgi, **options)
        finally:  # the outgoing HTTP pool and the database connections
            kassa_app.close()
        return
    # Several processes: each builds its own app (and engine) from the same KASSA_* settings.
    kassa_app.close()
    os.environ["KASSA_DATABASE_URL"] = settings.database_url
    os.environ["KASSA_EMBEDDED_WORKER"] = "true" if settings.embedded_worker else "false"
    uvicorn.run("kassa.bootstrap:create_app", factory=True, workers=settings.workers, **options)


@app.command("worker")
def worker_command(
    concurrency: Annotated[
        int, typer.Option(min=1, max=199, help="The worker threads; each claims its own jobs.")
    ] = 4,
) -> None:
    """Run jobs and all due work (webhooks, retries...) for both environments until SIGTERM.

    Production runs in real time; the sandbox at its own clock. On PostgreSQL any number of
    workers, on any number of hosts, share the work. SIGTERM or Ctrl-C stops gracefully: the
    jobs in hand are finished first.
    """
    import logging
    import signal

    from kassa.bootstrap import build, settle_heap
    from kassa.store.migrate import upgrade
    from kassa.worker import Worker

    settings = _settings()
    # A thread may hold two connections at once (the sandbox clock's lock and its work): the
    # pool (db_pool_size, as many again in overflow) must not run dry below the threads.
    settings = _settings(db_pool_size=max(settings.db_pool_size, concurrency + 1))
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    kassa_app = build(settings)
    upgrade(kassa_app.engine)
    check_operator_key(settings, kassa_app.engine)
    settle_heap()
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
def db_upgrade(
    revision: Annotated[str, typer.Option(help="The migration to stop at; head is the latest.")] = (
        "head"
    ),
) -> None:
    """Apply the database migrations up to --revision (by default, all of them)."""
    from kassa.store.migrate import current_revision, upgrade

    engine = _engine(_settings())
    upgrade(engine, revision)
    err.print(f"Database at revision {current_revision(engine)}.")


@keys_app.command("create")
def keys_create(
    environment: Annotated[
        Environment, typer.Option(help="The environment the key works in.")
    ],
    name: Annotated[str, typer.Option(help="What the key is for, as kassa keys list shows.")],
) -> None:
    """Create a key and print only the key on stdout, so KEY=$(kassa keys create ...) works."""
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
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, as kassa keys list shows it.")],
) -> None:
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


@events_app.command("import")
def events_import(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file to import."),
    ],
    environment: Annotated[
        Environment, typer.Option(help="The environment the events belong to.")
    ],
    failed_file: Annotated[
        Path | None,
        typer.Option(help="Where the failed rows go; by default FILE.failed.csv beside FILE."),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace the failed-rows file instead of numbering."),
    ] = False,
    batch_size: Annotated[
        int, typer.Option(help="How many events go in each batch.", min=1, max=1000)
    ] = 1000,
    upsert: Annotated[
        bool, typer.Option("--upsert", help="Replace the properties of events already stored.")
    ] = False,
) -> None:
    """Import usage events from a CSV (account,event_name,unique_id,timestamp,properties).

    Safe to re-run: events already stored are counted as duplicates. Exits 1 when rows failed;
    they are written, with the reason, to the failed-rows file.

    That file never replaces an existing one, which may hold your fixes: when its name is taken,
    a number goes before the .csv (FILE.failed.2.csv, then .3 and so on) and the output names the
    file written. With --overwrite it is replaced instead, and removed when no row fails.
    """
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from kassa.bootstrap import build
    from kassa.domain.errors import KassaError
    from kassa.services.usage.event_import import default_failed_path, import_csv
    from kassa.store.migrate import upgrade

    kassa_app = build(_settings())
    upgrade(kassa_app.engine)
    env = environment.value
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:>12,} rows"),
        TimeRemainingColumn(),
        console=err,
    )
    try:
        with progress:
            task = progress.add_task(file.name, total=file.stat().st_size, rows=0)
            summary = import_csv(
                lambda: kassa_app.ctx(env),
                file,
                failed_path=failed_file,
                batch_size=batch_size,
                upsert=upsert,
                overwrite=overwrite,
                on_progress=lambda done, s: progress.update(task, completed=done, rows=s.rows),
            )
    except KassaError as exc:
        err.print(f"[red]{file}: {exc.detail}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        kassa_app.close()
    out = Console(width=None if sys.stdout.isatty() else 200)
    out.print(
        f"{summary.rows:,} rows: {summary.ingested:,} ingested, {summary.duplicates:,} "
        f"duplicate, {summary.updated:,} updated, {summary.failed:,} failed"
    )
    if summary.failed_path is not None:
        out.print(f"Failed rows and their reasons: {summary.failed_path}", highlight=False)
        taken = failed_file or default_failed_path(file)
        if summary.failed_path != taken:
            out.print(f"({taken.name} is kept: --overwrite replaces it)", highlight=False)
        raise typer.Exit(1)


@fx_app.command("import")
def fx_import(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True,
                       help="The ECB's eurofxref.csv (one day) or eurofxref-hist.csv (every day)."),
    ],
    environment: Annotated[
        Environment, typer.Option(help="The environment the rates are for.")
    ],
) -> None:
    """Import euro reference rates in the ECB's CSV format (1 EUR = rate of each currency).

    Safe to re-run: days already stored are left alone, or take the file's rate when it
    differs. A malformed row or rate stops the import, naming its line, before anything is
    written; columns of currencies no longer in use are skipped and named.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from kassa.bootstrap import build
    from kassa.domain.errors import KassaError
    from kassa.services.fx_import import import_ecb
    from kassa.store.migrate import upgrade

    kassa_app = build(_settings())
    upgrade(kassa_app.engine)
    env = environment.value
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("days"), console=err)
    try:
        with progress:
            task = progress.add_task(file.name, total=None)
            summary = import_ecb(
                lambda: kassa_app.ctx(env), file,
                on_progress=lambda done, total: progress.update(task, completed=done,
                                                                total=total))
    except KassaError as exc:
        err.print(f"[red]{file}: {exc.detail}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        kassa_app.close()
    out = Console(width=None if sys.stdout.isatty() else 200)
    span = (summary.first.isoformat() if summary.first == summary.last
            else f"{summary.first} to {summary.last}")
    out.print(f"{summary.days:,} days ({span}), {summary.rates:,} EUR rates: "
              f"{summary.inserted:,} new, {summary.updated:,} updated", highlight=False)
    if summary.skipped_columns:
        out.print(f"Skipped (not a currency in use): {', '.join(summary.skipped_columns)}",
                  highlight=False)


@billing_app.command("run")
def billing_run(
    environment: Annotated[Environment, typer.Option(help="The environment to bill.")] = (
        Environment.production
    ),
) -> None:
    """Bill every subscription due now (the worker does this continuously); safe to re-run."""
    from kassa.bootstrap import build, settle_heap
    from kassa.services.billing import run
    from kassa.store.migrate import upgrade

    kassa_app = build(_settings())
    upgrade(kassa_app.engine)
    settle_heap()
    ctx = kassa_app.ctx(environment.value)
    created = run.run(ctx)
    total = sum((Decimal(item["total"]) for item in created), Decimal(0))
    err.print(f"Billed {len(created)} invoices ({total} in total) at {ctx.clock.now():%Y-%m-%dT%H:%M:%SZ}.")


if __name__ == "__main__":
    app()
