"""Webhook signing secrets are sealed at rest under the operator key (kassa.sealing): the
database holds no ``whsec_`` plaintext, deliveries still verify with the standardwebhooks
package, and a wrong operator key fails clearly instead of signing with anything else."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
import subprocess
import sys

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from kassa.api.app import create_app
from kassa.bootstrap import build
from kassa.config import SettingsError, load_settings
from kassa.sealing import OperatorKeys, SealedSecretError, operator_keys, sealed_key_id
from kassa.services.webhook_endpoints import reseal_secrets, unopenable_key_ids
from kassa.store.migrate import alembic_config, current_revision, upgrade
from kassa.store.tables import plan_versions, plans, webhook_endpoints
from tests.conftest import API_VERSION_HEADERS, TEST_OPERATOR_KEY

T0 = "2026-07-01T00:00:00Z"
OTHER_KEY = "another-operator-key-abcdefghijklmnopqrstuvwxyz"


def _stored(engine, endpoint_id: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(webhook_endpoints).where(
            webhook_endpoints.c.id == endpoint_id)).mappings().one()
    return dict(row)


def _client(settings, engine, key_for) -> tuple[TestClient, object]:
    other = build(settings, engine=engine)
    client = TestClient(create_app(other), raise_server_exceptions=False,
                        headers={**API_VERSION_HEADERS, "Authorization": f"Bearer {key_for}"})
    return client, other


def test_the_column_holds_no_plaintext_and_deliveries_verify(api, kassa, receiver) -> None:
    api.post("/clock/freeze", json={"at": T0})
    created = api.post("/webhook-endpoints", json={"url": receiver.url}).json()
    secret = created["secret"]
    assert secret.startswith("whsec_")
    stored = _stored(kassa.engine, created["id"])
    assert stored["secret"].startswith("kassa1:") and "whsec_" not in stored["secret"]
    assert secret[6:] not in stored["secret"] and stored["previous_secret"] is None
    assert sealed_key_id(stored["secret"]) == OperatorKeys(TEST_OPERATOR_KEY).key_id

    rotated = api.post(f"/webhook-endpoints/{created['id']}/rotate-secret").json()["secret"]
    stored = _stored(kassa.engine, created["id"])
    assert all(v.startswith("kassa1:") for v in (stored["secret"], stored["previous_secret"]))
    assert stored["previous_secret"] != stored["secret"]
    receiver.secrets.append(rotated)  # verified under the new secret alone
    api.post("/customers", json={"name": "Acme"})
    api.post("/clock/advance", json={"to": T0})
    (request,) = receiver.requests
    assert request.verified and request.svix_verified
    assert len(request.headers["webhook-signature"].split(" ")) == 2  # old and new both sign
    from tests.webhooks.receiver import _verify

    assert _verify([secret], request.body, request.headers, "webhook")


def test_a_wrong_operator_key_fails_the_delivery_and_signs_nothing(
    api, kassa, settings, engine, receiver, sandbox_key
) -> None:
    api.post("/clock/freeze", json={"at": T0})
    created = api.post("/webhook-endpoints", json={"url": receiver.url}).json()
    receiver.secrets.append(created["secret"])
    wrong = load_settings(database_url=settings.database_url, embedded_worker=False,
                          secret_key=OTHER_KEY)
    client, other = _client(wrong, engine, sandbox_key)
    with client:
        client.post("/customers", json={"name": "Acme"})
        ran = client.post("/clock/advance", json={"to": T0}).json()["ran"]
        failed = [i for i in ran if i["type"] == "webhook.deliver"]
        assert failed and all("error" in i for i in failed)
        current = OperatorKeys(OTHER_KEY).key_id
        sealed = OperatorKeys(TEST_OPERATOR_KEY).key_id
        assert (f"sealed under operator key {sealed}, which is not configured "
                f"(KASSA_SECRET_KEY is key {current}") in failed[0]["error"]
        assert receiver.requests == []  # nothing went out signed with anything else
        with engine.connect() as conn:
            assert unopenable_key_ids(conn, operator_keys(wrong)) == {sealed}
        # Rotating the endpoint's secret needs the old key too: a clear error, not a 500.
        r = client.post(f"/webhook-endpoints/{created['id']}/rotate-secret")
        assert r.status_code == 500 and "whsec_" not in r.text and OTHER_KEY not in r.text
    other.outbound.close()


def test_rotating_the_operator_key_reseals_under_the_new_one(
    api, kassa, settings, engine, receiver, sandbox_key
) -> None:
    api.post("/clock/freeze", json={"at": T0})
    created = api.post("/webhook-endpoints", json={"url": receiver.url}).json()
    api.post(f"/webhook-endpoints/{created['id']}/rotate-secret")
    receiver.secrets.append(created["secret"])
    rotating = load_settings(database_url=settings.database_url, embedded_worker=False,
                             secret_key=OTHER_KEY, secret_key_previous=TEST_OPERATOR_KEY)
    keys = operator_keys(rotating)
    with engine.begin() as conn:
        assert unopenable_key_ids(conn, keys) == set()
        assert reseal_secrets(conn, keys) == 2
        assert reseal_secrets(conn, keys) == 0  # nothing left to do
    stored = _stored(engine, created["id"])
    assert {sealed_key_id(stored["secret"]), sealed_key_id(stored["previous_secret"])} == {
        keys.key_id}
    only_new = load_settings(database_url=settings.database_url, embedded_worker=False,
                             secret_key=OTHER_KEY)
    with engine.connect() as conn:
        assert unopenable_key_ids(conn, operator_keys(only_new)) == set()
    client, other = _client(only_new, engine, sandbox_key)
    with client:
        client.post("/customers", json={"name": "Acme"})
        client.post("/clock/advance", json={"to": T0})
    other.outbound.close()
    (request,) = receiver.requests
    assert request.verified and request.svix_verified


def test_a_sealed_secret_opens_only_where_it_was_stored(api, kassa, receiver) -> None:
    api.post("/clock/freeze", json={"at": T0})
    first = api.post("/webhook-endpoints", json={"url": receiver.url}).json()
    second = api.post("/webhook-endpoints", json={"url": receiver.url}).json()
    receiver.secrets += [first["secret"], second["secret"]]
    sealed = _stored(kassa.engine, first["id"])["secret"]
    with kassa.engine.begin() as conn:  # an attacker with write access copies a secret over
        conn.execute(update(webhook_endpoints).where(webhook_endpoints.c.id == second["id"])
                     .values(secret=sealed))
    api.post("/customers", json={"name": "Acme"})
    ran = api.post("/clock/advance", json={"to": T0}).json()["ran"]
    errors = [i["error"] for i in ran if i["type"] == "webhook.deliver" and "error" in i]
    assert len(receiver.requests) == 1 and receiver.requests[0].verified
    assert errors and f"webhook_endpoints:sandbox:{second['id']}:secret does not open" in errors[0]


def test_operator_keys_refuse_tampering_and_plaintext() -> None:
    keys = OperatorKeys(TEST_OPERATOR_KEY)
    sealed = keys.seal("whsec_abc", where="t:sandbox:x:secret")
    assert keys.open(sealed, where="t:sandbox:x:secret") == "whsec_abc"
    assert keys.seal("whsec_abc", where="t:sandbox:x:secret") != sealed  # a fresh nonce
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealedSecretError, match="does not open"):
        keys.open(flipped, where="t:sandbox:x:secret")
    with pytest.raises(SealedSecretError, match="not sealed"):
        keys.open("whsec_abc", where="t:sandbox:x:secret")
    with pytest.raises(ValueError, match="at least 32"):
        OperatorKeys("short")


def test_a_short_operator_key_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="KASSA_SECRET_KEY: .*at least 32 characters"):
        load_settings(secret_key="too short")
    with pytest.raises(SettingsError, match="KASSA_SECRET_KEY_PREVIOUS"):
        load_settings(secret_key_previous=f"{OTHER_KEY},short")


def test_without_a_key_one_is_generated_into_the_key_file_and_kept(tmp_path) -> None:
    path = tmp_path / "operator.key"
    settings = load_settings(secret_key=None, secret_key_file=str(path))
    keys = operator_keys(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) >= 32
    again = load_settings(secret_key=None, secret_key_file=str(path), port=8001)
    assert operator_keys(again).key_id == keys.key_id
    path.write_text("short\n")
    with pytest.raises(SealedSecretError, match="KASSA_SECRET_KEY_FILE"):
        operator_keys(load_settings(secret_key=None, secret_key_file=str(path), port=8002))


def test_migration_0021_seals_plaintext_secrets_backfills_plan_versions_and_reverts(
    kassa, engine
) -> None:
    config = alembic_config()
    keys = OperatorKeys(TEST_OPERATOR_KEY)
    config.attributes["operator_keys"] = keys
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0020")
        conn.commit()
    assert current_revision(engine) == "0020"
    plain = "whsec_" + "Q" * 43 + "="
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO webhook_endpoints (id, environment, url, event_types, enabled, secret, "
            "previous_secret, created_at, updated_at) VALUES ('whe_1', 'sandbox', "
            "'https://x.io', '[]', true, ?, NULL, '2026-07-01 00:00:00+00:00', "
            "'2026-07-01 00:00:00+00:00')".replace("?", f"'{plain}'"))
        conn.execute(plans.insert().values(
            environment="sandbox", id="pln_1", name="P", currency="USD",
            items=[{"product_id": "prod_1"}], contract={}, billing={}, metadata={},
            created_at=datetime(2026, 7, 1, tzinfo=UTC), updated_at=datetime(2026, 7, 2, tzinfo=UTC)))
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0021")
        conn.commit()
    stored = _stored(engine, "whe_1")
    assert stored["secret"].startswith("kassa1:") and "whsec_" not in stored["secret"]
    assert keys.open(stored["secret"], where="webhook_endpoints:sandbox:whe_1:secret") == plain
    with engine.connect() as conn:  # each existing plan's items become its version 1
        backfilled = conn.execute(select(plan_versions)).mappings().all()
    assert [(v["plan_id"], v["number"], v["items"], v["created_at"]) for v in backfilled] == [
        ("pln_1", 1, [{"product_id": "prod_1"}], datetime(2026, 7, 2, tzinfo=UTC))]
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0020")
        conn.commit()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT secret FROM webhook_endpoints").scalar() == plain
    upgrade(engine)
    assert current_revision(engine) is not None


def test_serve_refuses_to_start_under_a_key_that_opens_no_secret(api, kassa, database_url,
                                                                 receiver) -> None:
    api.post("/webhook-endpoints", json={"url": receiver.url})
    env = {**os.environ, "KASSA_DATABASE_URL": database_url, "KASSA_SECRET_KEY": OTHER_KEY,
           "KASSA_PORT": "1"}
    done = subprocess.run([sys.executable, "-m", "kassa.cli", "serve"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    sealed = OperatorKeys(TEST_OPERATOR_KEY).key_id
    assert f"sealed under operator key {sealed}, which is not configured" in " ".join(
        done.stderr.split())
    assert TEST_OPERATOR_KEY not in done.stderr and OTHER_KEY not in done.stderr
    status = subprocess.run([sys.executable, "-m", "kassa.cli", "secrets", "status"],
                            env={**os.environ, "KASSA_DATABASE_URL": database_url},
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert f"{sealed}: 1 secrets (current)" in status.stdout
