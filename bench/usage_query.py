"""Usage query benchmark: one customer, one month, over a table of 10,000,000 events.

Builds ``usage_events`` (the migrated schema) with --events rows: 12 months of 2025, 1,000
customers, of which one "whale" sends 10% of all events; 70% of events are ``api_call``, the
metrics' event. Bulk load: COPY on PostgreSQL, executemany in 200,000-row transactions on SQLite,
with the secondary indexes dropped during the load and recreated after it (the final schema is
exactly the migrated one), then ANALYZE.

Then times ``aggregate_usage`` (the billing query) for June 2025 for a typical customer and for
the whale, per aggregation method, and the set-based query for every customer at once. The
counts are checked against the generator's own tally. Target: under 50 ms for one customer
and one month.

    python bench/usage_query.py                     # 10,000,000 events, both backends
    python bench/usage_query.py --events 1000000 --backends sqlite
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bench._support import DEFAULT_PG_URL, machine_load, scratch_database  # noqa: E402
from kassa.domain.usage import UsageWindow  # noqa: E402
from kassa.domain.usage_events import timestamp_us  # noqa: E402
from kassa.store.engine import make_engine  # noqa: E402
from kassa.store.migrate import upgrade  # noqa: E402
from kassa.services.usage.aggregation import aggregate_usage, aggregate_windows  # noqa: E402

CUSTOMERS = 1000
WHALE = "cust_whale"
YEAR_START = timestamp_us(datetime(2025, 1, 1, tzinfo=UTC))
YEAR_US = timestamp_us(datetime(2026, 1, 1, tzinfo=UTC)) - YEAR_START
JUNE = (datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC))
JUNE_US = (timestamp_us(JUNE[0]), timestamp_us(JUNE[1]))
TYPICAL = "cust_00500"
INDEXES = {
    "ix_usage_events_environment_customer_id_event_name_timestamp_us":
        "CREATE INDEX ix_usage_events_environment_customer_id_event_name_timestamp_us "
        "ON usage_events (environment, customer_id, event_name, timestamp_us)",
    "ix_usage_events_unattributed":
        "CREATE INDEX ix_usage_events_unattributed ON usage_events (environment, account) "
        "WHERE customer_id IS NULL",
}
METRICS = {
    "count": {"method": "count"},
    "count_unique": {"method": "count_unique", "field": "path"},
    "sum": {"method": "sum", "field": "bytes"},
    "max": {"method": "max", "field": "duration_ms"},
    "average": {"method": "average", "field": "duration_ms"},
    "latest": {"method": "latest", "field": "bytes"},
}
EU_ONLY = [{"operator": "and", "filters": [
    {"field": "region", "operator": "equal", "value": "eu-west"}]}]


def rows(n: int, tally: Counter):
    """(unique_id, event_name, customer_id, timestamp_us, properties JSON) for n events."""
    rng = random.Random(11)
    regions = ("eu-west", "us-east", "ap-south")
    for i in range(n):
        customer = WHALE if i % 10 == 0 else f"cust_{rng.randrange(CUSTOMERS - 1):05d}"
        name = "api_call" if rng.random() < 0.7 else ("storage", "compute")[i % 2]
        ts = YEAR_START + rng.randrange(YEAR_US)
        if name == "api_call" and JUNE_US[0] <= ts < JUNE_US[1]:
            tally[customer] += 1
        props = (
            f'{{"region": "{regions[i % 3]}", "bytes": {rng.randrange(10_000_000)}, '
            f'"duration_ms": {rng.randrange(1, 90000) / 100}, "cached": '
            f'{"true" if i % 4 == 0 else "false"}, "path": "/v1/items/{rng.randrange(5000)}"}}'
        )
        yield f"evt_{i:09d}", name, customer, ts, props


def load_postgresql(engine, n: int, tally: Counter) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for name in INDEXES:
            cur.execute(f"DROP INDEX {name}")
        cur.execute(
            "ALTER TABLE usage_events DROP CONSTRAINT uq_usage_events_environment_unique_id"
        )
        stamp = "2026-01-01 00:00:00+00"
        columns = ("environment, unique_id, event_name, account, customer_id, timestamp_us, "
                   "properties, received_at, updated_at")
        with cur.copy(f"COPY usage_events ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for count, (uid, name, cid, ts, props) in enumerate(rows(n, tally), 1):
                buffer.write(
                    f"sandbox\t{uid}\t{name}\t{cid}\t{cid}\t{ts}\t{props}\t{stamp}\t{stamp}\n"
                )
                if count % 100_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        raw.commit()
        cur.execute("ALTER TABLE usage_events ADD CONSTRAINT uq_usage_events_environment_unique_id "
                    "UNIQUE (environment, unique_id)")
        for ddl in INDEXES.values():
            cur.execute(ddl)
        raw.commit()
        raw.driver_connection.autocommit = True
        cur.execute("VACUUM ANALYZE usage_events")
    finally:
        raw.close()


def load_sqlite(engine, n: int, tally: Counter) -> None:
    raw = engine.raw_connection()
    try:
        con = raw.driver_connection
        con.execute("PRAGMA cache_size = -1000000")
        for name in INDEXES:
            con.execute(f"DROP INDEX {name}")
        stamp = "2026-01-01 00:00:00.000000"
        sql = ("INSERT INTO usage_events (environment, unique_id, event_name, account, customer_id,"
               " timestamp_us, properties, received_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)")
        chunk = []
        for uid, name, cid, ts, props in rows(n, tally):
            chunk.append(("sandbox", uid, name, cid, cid, ts, props, stamp, stamp))
            if len(chunk) == 200_000:
                con.execute("BEGIN")
                con.executemany(sql, chunk)
                con.execute("COMMIT")
                chunk = []
        con.execute("BEGIN")
        con.executemany(sql, chunk)
        for ddl in INDEXES.values():
            con.execute(ddl)
        con.execute("COMMIT")
        con.execute("ANALYZE")
    finally:
        raw.close()


def timed(fn, repeat: int) -> tuple[float, float, object]:
    result = fn()  # warm-up (and the value)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], result


def run(backend: str, url: str, n: int, repeat: int) -> bool:
    engine = make_engine(url, pool_size=2)
    upgrade(engine)
    tally: Counter = Counter()
    started = time.perf_counter()
    (load_postgresql if backend == "postgresql" else load_sqlite)(engine, n, tally)
    print(f"{backend}: loaded {n:,} events in {time.perf_counter() - started:.0f} s "
          f"(June 2025 api_call events: typical customer {tally[TYPICAL]:,}, "
          f"whale {tally[WHALE]:,})", flush=True)
    ok = True
    with engine.connect() as conn:
        for who in (TYPICAL, WHALE):
            for label, aggregation in METRICS.items():
                for filtered in (False, True):
                    metric = {"event_name": "api_call", "aggregation": aggregation,
                              "filter_groups": EU_ONLY if filtered else []}
                    median, p95, value = timed(
                        lambda m=metric: aggregate_usage(conn, "sandbox", m, who, *JUNE), repeat)
                    if label == "count" and not filtered:
                        ok &= value == Decimal(tally[who])
                    ok &= who == WHALE or median < 50
                    name = label + (" + filter" if filtered else "")
                    print(f"  {who:11} {name:24} median {median:8.2f} ms  p95 {p95:8.2f} ms  "
                          f"value {value}", flush=True)
        windows = [UsageWindow(f"cust_{i:05d}", *JUNE) for i in range(CUSTOMERS - 1)]
        windows.append(UsageWindow(WHALE, *JUNE))
        metric = {"event_name": "api_call", "aggregation": METRICS["sum"], "filter_groups": []}
        median, _, values = timed(lambda: aggregate_windows(conn, "sandbox", metric, windows), 3)
        print(f"  all {len(windows):,} customers, one statement: sum   median {median:8.1f} ms "
              f"({sum(1 for v in values.values() if v):,} non-zero)", flush=True)
        size = conn.execute(text(
            "SELECT pg_total_relation_size('usage_events')" if backend == "postgresql"
            else "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
        )).scalar_one()
        print(f"  table + indexes: {size / 2**30:.2f} GiB", flush=True)
    engine.dispose()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    print(f"Kassa usage query benchmark: {args.events:,} events; {machine_load()}", flush=True)
    ok = True
    for backend in args.backends.split(","):
        with scratch_database(backend, args.pg_url) as url:
            ok &= run(backend, url, args.events, args.repeat)
    print(f"after: {machine_load()}; "
          f"{'typical customer under 50 ms, counts exact' if ok else 'TARGET OR CHECK MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
