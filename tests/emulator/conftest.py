"""Fixtures for emulator tests: one real-catalog emulator per module, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from emulator_helpers import REAL_CATALOG, http_client

from gerra_emulator.testing import EmulatorServer


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[EmulatorServer]:
    """Serve the real catalog for a whole test module."""
    if not REAL_CATALOG.is_file():
        pytest.skip(f"real datasets not found at {REAL_CATALOG.resolve()}")
    with EmulatorServer(REAL_CATALOG) as server:
        yield server


@pytest.fixture
def real_emulator(module_emulator: EmulatorServer) -> EmulatorServer:
    """Return the module's emulator restored to its catalog state (statuses, clock, faults, counters).

    Overrides the shared per-test server: a reset takes microseconds, a
    server start and stop about 0.15 s.
    """
    module_emulator.store.reset()
    return module_emulator


@pytest.fixture
def api(real_emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """Return an httpx client for the real-catalog emulator, authenticated as Acme."""
    with http_client(real_emulator.base_url) as client:
        yield client


@pytest.fixture
def anonymous(real_emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """Return an httpx client for the real-catalog emulator without an API key."""
    with http_client(real_emulator.base_url, api_key=None) as client:
        yield client
