"""Alembic environment: Kassa passes an open connection (``config.attributes["connection"]``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from kassa.store.engine import make_engine
from kassa.store.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///./kassa.db")
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Kassa migrations run online only: use 'kassa db upgrade'.")
run_migrations_online()
