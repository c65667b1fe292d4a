"""``kassa secrets``: the operator key webhook signing secrets are sealed under (kassa.sealing),
and the check ``kassa serve`` and ``kassa worker`` make before they start."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from kassa.cli_common import engine as _engine
from kassa.cli_common import err
from kassa.cli_common import settings as _settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kassa.config import Settings
    from kassa.sealing import OperatorKeys

secrets_app = typer.Typer(
    help="The operator key (KASSA_SECRET_KEY) webhook signing secrets are encrypted under.",
    no_args_is_help=True,
)


def _keys(settings: Settings) -> OperatorKeys:
    from kassa.sealing import SealedSecretError, operator_keys

    try:
        return operator_keys(settings)
    except (SealedSecretError, OSError) as exc:
        err.print(f"[red]operator key: {exc}[/red]")
        raise typer.Exit(2) from None


def check_operator_key(settings: Settings, engine: Engine) -> None:
    """Exit 2, saying why, when the stored secrets do not open under the configured keys."""
    from kassa.services.webhook_endpoints import unopenable_key_ids

    keys = _keys(settings)
    with engine.connect() as conn:
        missing = sorted(unopenable_key_ids(conn, keys))
    if missing:
        err.print(
            f"[red]Webhook signing secrets are sealed under operator key {', '.join(missing)}, "
            f"which is not configured: KASSA_SECRET_KEY is key {keys.key_id}. Set the key they "
            "were sealed under (as KASSA_SECRET_KEY, or in KASSA_SECRET_KEY_PREVIOUS while "
            "rotating).[/red]", highlight=False)
        raise typer.Exit(2)


@secrets_app.command("status")
def status() -> None:
    """The current operator key's id and how many stored secrets each key id sealed."""
    from collections import Counter

    from sqlalchemy import select

    from kassa.sealing import sealed_key_id
    from kassa.store.migrate import upgrade
    from kassa.store.tables import webhook_endpoints as table

    settings = _settings()
    engine = _engine(settings)
    upgrade(engine)
    keys = _keys(settings)
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.secret, table.c.previous_secret)).all()
    counts = Counter(sealed_key_id(v) or "plaintext" for row in rows for v in row if v)
    print(f"current operator key: {keys.key_id}")
    for key_id, count in sorted(counts.items()):
        known = "current" if key_id == keys.key_id else (
            "previous" if key_id in keys.key_ids else "NOT CONFIGURED")
        print(f"  {key_id}: {count} secrets ({known})")


@secrets_app.command("rotate")
def rotate() -> None:
    """Reseal every stored webhook signing secret under KASSA_SECRET_KEY.

    Rotating the operator key: set the new key as KASSA_SECRET_KEY and the old one in
    KASSA_SECRET_KEY_PREVIOUS, run this, then drop KASSA_SECRET_KEY_PREVIOUS.
    """
    from kassa.sealing import SealedSecretError
    from kassa.services.webhook_endpoints import reseal_secrets
    from kassa.store.migrate import upgrade

    settings = _settings()
    engine = _engine(settings)
    upgrade(engine)
    check_operator_key(settings, engine)
    keys = _keys(settings)
    try:
        with engine.begin() as conn:
            changed = reseal_secrets(conn, keys)
    except SealedSecretError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    err.print(f"Resealed {changed} secrets under operator key {keys.key_id}.")
