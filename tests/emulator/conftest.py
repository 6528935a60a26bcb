"""Fixtures for emulator tests: httpx clients for the real-catalog emulator."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from emulator_helpers import http_client


@pytest.fixture
def api(real_emulator) -> Iterator[httpx.Client]:
    """Return an httpx client for the real-catalog emulator, authenticated as Acme."""
    with http_client(real_emulator.base_url) as client:
        yield client


@pytest.fixture
def anonymous(real_emulator) -> Iterator[httpx.Client]:
    """Return an httpx client for the real-catalog emulator without an API key."""
    with http_client(real_emulator.base_url, api_key=None) as client:
        yield client
