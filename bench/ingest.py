"""Ingestion benchmark: POST /events through a real ``kassa serve`` vs raw database inserts.

For each backend (SQLite file, then a scratch PostgreSQL database) and batch size (100, 1000):

1. a fresh database with 1,000 customers (half addressed by alias in the events);
2. ``kassa serve`` on loopback; several concurrent keep-alive clients send the event stream
   (5% of the events repeat an earlier unique_id, in the same or another batch), pre-encoded so
   that the clients measure the server, not themselves;
3. events/s, request latency p50/p99 and the server's peak RSS (all its processes);
4. a check that exactly the non-duplicate events were stored and the responses add up;
5. the baseline: the same rows inserted into a fresh database with the same schema, without HTTP,
   through the same statement the service uses (``kassa.store.usage_insert.insert_events``, which
   also resolves the accounts), one batch per transaction, sequentially.

    python bench/ingest.py                      # 1,000,000 events, both backends
    python bench/ingest.py --events 100000 --backends postgresql --batch-sizes 1000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import (  # noqa: E402
    DEFAULT_PG_URL,
    RssSampler,
    Stream,
    cpu_of_postgres,
    cpu_of_tree,
    kassa_server,
    machine_load,
    make_stream,
    percentile,
    scratch_database,
)
from kassa.bootstrap import build  # noqa: E402
from kassa.config import Settings  # noqa: E402
from kassa.domain.usage_events import parse_timestamp_us  # noqa: E402
from kassa.ids import new_id  # noqa: E402
from kassa.services import keys  # noqa: E402
from kassa.services.exact_json import dumps_exact, loads_exact  # noqa: E402
from kassa.store.migrate import upgrade  # noqa: E402
from kassa.store.tables import customer_aliases, customers, usage_events  # noqa: E402
from kassa.store.usage_insert import EventRow, insert_events  # noqa: E402

CUSTOMERS = 1000


def customer_list() -> list[tuple[str, str, str]]:
    """(customer id, alias, the account events use: the id for half, the alias for the rest)."""
    result = []
    for i in range(CUSTOMERS):
        customer_id, alias = new_id(), f"crm-{i:05d}"
        result.append((customer_id, alias, alias if i % 2 else customer_id))
    return result


def seed(database_url: str, env: str, people: list[tuple[str, str, str]]) -> str:
    """Migrate, create the customers (one bulk transaction: setup, not what is measured) and an
    API key; return the key."""
    kassa = build(Settings(database_url=database_url))
    upgrade(kassa.engine)
    now = datetime.now(UTC)
    rows = [{"environment": env, "id": cid, "name": f"Customer {alias}", "currency": "USD",
             "tags": [], "aliases": [alias], "metadata": {}, "tax_exempt": False,
             "created_at": now, "updated_at": now} for cid, alias, _ in people]
    aliases = [{"environment": env, "alias": alias, "customer_id": cid}
               for cid, alias, _ in people]
    with kassa.engine.begin() as conn:
        conn.execute(insert(customers), rows)
        conn.execute(insert(customer_aliases), aliases)
    with kassa.engine.begin() as conn:
        # As after any bulk load: without statistics PostgreSQL may resolve accounts through the
        # wrong index of customers until autovacuum analyzes the table (within about a minute).
        conn.execute(text("ANALYZE customers"))
        conn.execute(text("ANALYZE customer_aliases"))
    key = keys.create_key(kassa.engine, env, "bench")[1]
    kassa.close()
    return key


def batches(stream: Stream, size: int) -> list[list[int]]:
    order = stream.source_index()
    return [order[i : i + size] for i in range(0, len(order), size)]


async def _client(
    port: int, key: str, bodies: list[bytes], cursor: list[int], out: dict[str, Any]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n"
        "Alguna-Version: 2026-04-01\r\nContent-Type: application/json\r\n"
    ).encode()
    try:
        while cursor[0] < len(bodies):
            body = bodies[cursor[0]]
            cursor[0] += 1
            started = time.perf_counter()
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            payload = await reader.readexactly(length)
            out["latency"].append(time.perf_counter() - started)
            if b" 200 " not in status_line:
                out["errors"].append(status_line + payload[:300])
                continue
            answer = orjson.loads(payload)
            out["counts"].update(
                {k: len(answer[k]) for k in ("ingested", "duplicates", "updated", "failed")}
            )
    finally:
        writer.close()


async def _send_all(port: int, key: str, bodies: list[bytes], clients: int) -> dict[str, Any]:
    out: dict[str, Any] = {"latency": [], "errors": [], "counts": Counter()}
    cursor = [0]
    await asyncio.gather(*(_client(port, key, bodies, cursor, out) for _ in range(clients)))
    return out


def api_run(database_url: str, stream: Stream, plan: list[list[int]], key: str,
            clients: int, workers: int) -> dict[str, Any]:
    bodies = [orjson.dumps({"events": [stream.event(i) for i in b]}) for b in plan]
    with kassa_server(database_url, workers) as (base, pid):
        port = int(base.rsplit(":", 1)[1])
        with RssSampler(pid) as rss:
            cpu_before = (cpu_of_tree(pid), cpu_of_postgres(), time.process_time())
            started = time.perf_counter()
            out = asyncio.run(_send_all(port, key, bodies, clients))
            elapsed = time.perf_counter() - started
            cpu_after = (cpu_of_tree(pid), cpu_of_postgres(), time.process_time())
    latency = sorted(out["latency"])
    return {
        "elapsed": elapsed,
        "rate": stream.n / elapsed,
        "p50_ms": percentile(latency, 0.50) * 1000,
        "p99_ms": percentile(latency, 0.99) * 1000,
        "rss_mb": rss.peak_mb,
        "counts": out["counts"],
        "errors": out["errors"],
        # CPU used during the run, as a share of one core: server, PostgreSQL, these clients.
        "cpu": [(b - a) / elapsed for a, b in zip(cpu_before, cpu_after, strict=True)],
    }


def raw_run(database_url: str, stream: Stream, plan: list[list[int]], env: str,
            people: list[tuple[str, str, str]]) -> float:
    """The same rows, same schema, same insert statement: no HTTP, no validation. Events/s."""
    seed(database_url, env, people)
    kassa = build(Settings(database_url=database_url))
    prepared = []
    for batch in plan:
        rows: dict[str, EventRow] = {}
        for i in batch:
            e = stream.event(i)
            props = dumps_exact(loads_exact(orjson.dumps(e["properties"]))).decode()
            rows.setdefault(e["unique_id"], EventRow(
                e["unique_id"], e["event_name"], e["account"],
                parse_timestamp_us(e["timestamp"]), props))
        prepared.append(sorted(rows.values()))
    now = stream.now
    with kassa.engine.connect() as conn:
        started = time.perf_counter()
        for rows_ in prepared:
            conn.begin()
            insert_events(conn, env, rows_, now)
            conn.commit()
        elapsed = time.perf_counter() - started
        stored = conn.execute(select(func.count()).select_from(usage_events)).scalar_one()
        orphans = conn.execute(select(func.count()).select_from(usage_events).where(
            usage_events.c.customer_id.is_(None))).scalar_one()
    kassa.close()
    assert stored == stream.distinct, (stored, stream.distinct)
    assert orphans == 0, f"{orphans} events not attributed to their customer"
    return stream.n / elapsed


def stored_count(database_url: str) -> int:
    kassa = build(Settings(database_url=database_url))
    with kassa.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(usage_events)).scalar_one()
    kassa.close()
    return int(count)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch-sizes", default="100,1000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duplicates", type=float, default=0.05)
    parser.add_argument("--sqlite-workers", type=int, default=1)
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--environment", default="production", choices=["production", "sandbox"],
                        help="whose key the clients use (a sandbox also reads its clock per "
                             "request)")
    args = parser.parse_args()
    targets = {"sqlite": 15_000, "postgresql": 20_000}
    print(f"Kassa ingestion benchmark: {args.events:,} events, {args.duplicates:.0%} duplicates, "
          f"{args.clients} clients, {args.environment} key; {machine_load()}", flush=True)
    failures = 0
    for backend in args.backends.split(","):
        workers = args.sqlite_workers if backend == "sqlite" else args.pg_workers
        for size in (int(s) for s in args.batch_sizes.split(",")):
            people = customer_list()
            with scratch_database(backend, args.pg_url) as url:
                key = seed(url, args.environment, people)
                stream = make_stream(args.events, args.duplicates, [p[2] for p in people])
                plan = batches(stream, size)
                api = api_run(url, stream, plan, key, args.clients, workers)
                stored = stored_count(url)
            with scratch_database(backend, args.pg_url) as url:
                raw = raw_run(url, stream, plan, args.environment, people)
            c = api["counts"]
            exact = (stored == stream.distinct and c["ingested"] == stream.distinct
                     and c["duplicates"] == stream.duplicates and c["failed"] == 0
                     and not api["errors"])
            ok = (exact and api["rate"] >= targets[backend] and api["rate"] >= raw / 2
                  and api["rss_mb"] < 500)
            failures += not ok
            print(
                f"{backend:10} batch {size:4}  workers {workers}  API {api['rate']:9,.0f} ev/s  "
                f"p50 {api['p50_ms']:6.1f} ms  p99 {api['p99_ms']:6.1f} ms  "
                f"RSS {api['rss_mb']:5.0f} MB  | raw {raw:9,.0f} ev/s  "
                f"API/raw {api['rate'] / raw:4.2f}  | stored {stored:,} of {stream.distinct:,} "
                f"distinct ({c['duplicates']:,} duplicates) {'exact' if exact else 'MISMATCH'}  "
                f"[{'meets targets' if ok else 'below target'}]",
                flush=True,
            )
            server, postgres, client = api["cpu"]
            print(f"{'':10} CPU during the API run (cores): kassa {server:.2f}, PostgreSQL (all "
                  f"backends on the machine) {postgres:.2f}, bench clients {client:.2f}")
            for error in api["errors"][:3]:
                print("   error:", error[:300])
    print(f"after: {machine_load()}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
