"""Waiting for a `kassa serve` started by a test to answer."""

from __future__ import annotations

import time

import httpx


def wait_until_healthy(base_url: str, timeout: float = 60.0) -> None:
    """Until ``GET /health`` answers 200. The process prints "Kassa is serving" before uvicorn
    has bound its port, and on a loaded machine binding takes seconds; a server that never
    answers fails here, saying so, rather than as a refused connection further on."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"kassa serve did not answer on {base_url} within {timeout:.0f} s")
        time.sleep(0.1)
