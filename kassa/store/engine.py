"""Engine creation: SQLite tuned for a single-node install, PostgreSQL through psycopg 3."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from kassa.store.types import json_dumps, json_loads

SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option: a connection that only reads starts a deferred transaction on SQLite.
READ_ONLY = "kassa_read_only"


def reader(engine: Engine) -> Connection:
    """A connection for reads only: on SQLite its transactions start with a plain BEGIN, so
    they never wait for (or hold up) the write lock. Writes through it fail on SQLite."""
    return engine.connect().execution_options(**{READ_ONLY: True})


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Create the engine for ``url`` with Kassa's connection setup applied."""
    parsed = make_url(url)
    common: dict[str, Any] = {
        "echo": echo,
        "json_serializer": json_dumps,
        "json_deserializer": json_loads,
    }
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
            **common,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        **common,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event own transactions (pysqlite's own BEGIN is deferred and
        # upgrades to a write lock too late, which fails under concurrency without waiting).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        from kassa.store.sqlite_functions import register

        register(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE) so that they queue on the busy
        # timeout instead of failing with SQLITE_BUSY when a read lock must be upgraded.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
