"""The test helpers themselves: EmulatorServer lifecycle and options."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from emulator_helpers import http_client

from gerra_emulator.catalog import CatalogError
from gerra_emulator.testing import EmulatorServer


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_server_starts_and_stops(real_catalog: Path) -> None:
    with EmulatorServer(real_catalog) as server:
        port = server.port
        assert server.base_url == f"http://127.0.0.1:{port}"
        with http_client(server.base_url) as client:
            assert client.get("/health").status_code == 200
        assert port_is_open(port)

    assert not port_is_open(port)
    server.stop()


def test_server_port_unknown_before_start(real_catalog: Path) -> None:
    server = EmulatorServer(real_catalog)

    with pytest.raises(RuntimeError, match="not started"):
        _ = server.base_url


def test_server_fixed_port(real_catalog: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]

    with EmulatorServer(real_catalog, port=free_port) as server:
        assert server.port == free_port


def test_server_start_time(real_catalog: Path) -> None:
    start = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)

    with EmulatorServer(real_catalog, start_time=start) as server:
        server.store.advance_clock(3600)
        server.store.reset()
        now = server.store.now()

    assert start <= now < datetime(2025, 1, 15, 12, 1, tzinfo=UTC)


def test_server_rejects_bad_options(real_catalog: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="drop_rate"):
        EmulatorServer(real_catalog, drop_rate=-1)
    with pytest.raises(CatalogError):
        EmulatorServer(tmp_path / "missing.json")


def test_factory_fixture_stops_servers(emulator, real_catalog: Path) -> None:
    first = emulator(real_catalog)
    second = emulator(real_catalog, error_rate=1.0)

    with http_client(first.base_url) as one, http_client(second.base_url) as two:
        assert one.get("/datasets").status_code == 200
        assert two.get("/datasets").status_code in (500, 502, 503, 504)


def test_two_servers_independent(emulator, real_catalog: Path) -> None:
    first, second = emulator(real_catalog), emulator(real_catalog)
    dataset_id = "770e8400-e29b-41d4-a716-446655440001"

    first.store.set_status(dataset_id, "accepted")

    assert second.store.dataset(dataset_id).status == "pending"
    with http_client(second.base_url) as client:
        assert client.get("/datasets/dataset", params={"id": dataset_id}).json()["status"] == "pending"
