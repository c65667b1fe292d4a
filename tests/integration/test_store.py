"""The store on both databases: exact decimals, UTC instants, the outbox, migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from kassa.clock import FixedClock
from kassa.store.migrate import current_revision, head_revision
from kassa.store.tables import customers, metadata, outbox_events
from kassa.store.types import ExactDecimal, UTCDateTime
from kassa.store.uow import UnitOfWork

VALUES = ["0.015", "123456789.123456789", "500.00", "-0.5", "0", "1E-18", "99999999999999999999.99"]


@pytest.fixture
def scratch(engine):
    meta = MetaData()
    table = Table(
        "scratch_values",
        meta,
        Column("k", String(10), primary_key=True),
        Column("amount", ExactDecimal()),
        Column("at", UTCDateTime()),
    )
    meta.drop_all(engine)
    meta.create_all(engine)
    yield table
    meta.drop_all(engine)


def test_decimals_round_trip_exactly(engine, scratch) -> None:
    with engine.begin() as conn:
        conn.execute(insert(scratch), [{"k": str(i), "amount": Decimal(v)} for i, v in enumerate(VALUES)])
    with engine.connect() as conn:
        rows = dict(conn.execute(select(scratch.c.k, scratch.c.amount)).all())
    for i, text in enumerate(VALUES):
        got = rows[str(i)]
        assert isinstance(got, Decimal)
        assert got == Decimal(text)
    assert format(rows["0"], "f") == "0.015"
    assert format(rows["1"], "f") == "123456789.123456789"
    assert format(rows["2"], "f") == "500.00"  # scale kept: 500.00 stays 500.00


def test_floats_are_refused(engine, scratch) -> None:
    with pytest.raises(Exception, match="never float"):
        with engine.begin() as conn:
            conn.execute(insert(scratch), {"k": "f", "amount": 0.1})


def test_instants_come_back_aware_utc(engine, scratch) -> None:
    paris = timezone(timedelta(hours=2))
    written = datetime(2026, 7, 1, 2, 30, 0, 123456, tzinfo=paris)
    with engine.begin() as conn:
        conn.execute(insert(scratch), {"k": "t", "at": written})
    with engine.connect() as conn:
        got = conn.execute(select(scratch.c.at)).scalar_one()
    assert got == written and got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert got == datetime(2026, 7, 1, 0, 30, 0, 123456, tzinfo=UTC)


def _customer_row(environment: str, customer_id: str, at: datetime) -> dict:
    return {
        "environment": environment,
        "id": customer_id,
        "name": "N",
        "currency": "USD",
        "tags": [],
        "aliases": [],
        "metadata": {},
        "tax_exempt": False,
        "created_at": at,
        "updated_at": at,
    }


def test_events_commit_with_their_change(kassa) -> None:
    at = datetime(2026, 7, 1, tzinfo=UTC)
    with UnitOfWork(kassa.engine, "sandbox", FixedClock(at)) as uow:
        uow.conn.execute(insert(customers), _customer_row("sandbox", "keep0001", at))
        uow.emit("customer.created", {"id": "keep0001"})
        uow.commit()
    with kassa.engine.connect() as conn:
        event = conn.execute(select(outbox_events)).mappings().one()
    assert event["type"] == "customer.created" and event["data"] == {"id": "keep0001"}
    assert event["occurred_at"] == at and event["environment"] == "sandbox"
    assert event["id"].startswith("evt_")


def test_a_rolled_back_change_emits_nothing(kassa) -> None:
    at = datetime(2026, 7, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        with UnitOfWork(kassa.engine, "sandbox", FixedClock(at)) as uow:
            uow.conn.execute(insert(customers), _customer_row("sandbox", "lost0001", at))
            uow.emit("customer.created", {"id": "lost0001"})
            raise RuntimeError("crash before commit")
    # Leaving without commit rolls back as well.
    with UnitOfWork(kassa.engine, "sandbox", FixedClock(at)) as uow:
        uow.conn.execute(insert(customers), _customer_row("sandbox", "lost0002", at))
        uow.emit("customer.created", {"id": "lost0002"})
    with kassa.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox_events)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(customers)).scalar_one() == 0


def test_migrations_are_at_head_and_match_the_tables(engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), metadata
        )
    assert diff == []
