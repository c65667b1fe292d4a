"""Automations run with a real SMTP server on loopback (the ``smtp_server`` fixture)."""

from __future__ import annotations

import pytest

from kassa.config import Settings


@pytest.fixture
def settings(database_url: str, smtp_server) -> Settings:
    return Settings(database_url=database_url, embedded_worker=False,
                    smtp_url=f"smtp://{smtp_server.host}:{smtp_server.port}",
                    email_from="Kassa <billing@kassa.test>")
