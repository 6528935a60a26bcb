"""Fixtures for the Gerra client tests: clients aimed at emulators, fast retries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from worker.gerra.client import GerraClient
from worker.gerra.retry import RetryPolicy

# Backoff small enough that a test with several retries still takes milliseconds.
FAST_RETRY = RetryPolicy(
    max_attempts=4, initial_wait_s=0.01, max_wait_s=0.02, jitter_s=0.0, max_retry_after_s=0.02
)


@pytest.fixture
def catalog(real_catalog: Path) -> dict[str, Any]:
    """Return the real catalog as parsed JSON."""
    return json.loads(real_catalog.read_text())


@pytest.fixture
def acme_key(catalog: dict[str, Any]) -> str:
    """Return the API key of the organisation that owns seven of the eight datasets."""
    return catalog["organizations"][0]["api_keys"][0]


@pytest.fixture
def make_client(acme_key: str) -> Iterator[Callable[..., GerraClient]]:
    """Build clients for an emulator: ``make_client(server, **client_options)``; closed at teardown."""
    clients: list[GerraClient] = []

    def make(server: Any, *, api_key: str | None = None, **options: Any) -> GerraClient:
        options.setdefault("retry", FAST_RETRY)
        client = GerraClient(server.base_url, api_key or acme_key, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., GerraClient], real_emulator: Any) -> GerraClient:
    """Return a client for a fresh emulator serving the real catalog."""
    return make_client(real_emulator)
