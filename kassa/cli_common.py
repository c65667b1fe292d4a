"""What every ``kassa`` command shares: the error console, and settings and an engine that
stop the command with a readable message when the configuration is invalid."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console

from kassa.config import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

err = Console(stderr=True)


def settings(**overrides: object) -> Settings:
    """The settings (``overrides`` that are not None win), or exit 2 saying what is wrong."""
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def engine(config: Settings) -> Engine:
    from kassa.store.engine import make_engine

    return make_engine(config.database_url, pool_size=config.db_pool_size)
