"""Retries on injected 429, 5xx, timeouts and dropped connections; POSTs never resent blindly."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from real_ids import STUBS_PENDING
from structlog.testing import capture_logs

from worker.gerra.client import GerraClient
from worker.gerra.errors import GerraTransportError, RateLimitedError, ServerError
from worker.gerra.retry import RetryPolicy


def _retry_events(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == "gerra_call_retry"]


def test_retry_429_then_success(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(rate_limit_every=1, fault_limit=2, fault_endpoints=["get_dataset"])
    with capture_logs() as logs:
        dataset = client.get_dataset(STUBS_PENDING)
    assert dataset.id == STUBS_PENDING
    assert real_emulator.store.calls.requests["get_dataset"] == 3
    events = _retry_events(logs)
    assert [e["attempt"] for e in events] == [1, 2]
    assert {e["cause"] for e in events} == {"RateLimitedError"}
    assert {e["log_level"] for e in events} == {"warning"}
    assert {e["dataset_id"] for e in events} == {STUBS_PENDING}


def test_retry_after_honoured(make_client: Any, real_emulator: Any) -> None:
    policy = RetryPolicy(max_attempts=2, initial_wait_s=0.0, max_wait_s=0.0, jitter_s=0.0, max_retry_after_s=0.4)
    client = make_client(real_emulator, retry=policy)
    real_emulator.store.set_faults(rate_limit_every=1, fault_limit=1, retry_after_s=1, fault_endpoints=["stats"])
    started = time.monotonic()
    client.stats()
    elapsed = time.monotonic() - started
    # Retry-After is 1 s, capped at 0.4 s by the policy.
    assert 0.4 <= elapsed < 0.9


def test_retry_429_exhausted(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(rate_limit_every=1, fault_endpoints=["stats"])
    with pytest.raises(RateLimitedError) as caught:
        client.stats()
    assert caught.value.retry_after_s == 1.0
    assert real_emulator.store.calls.requests["stats"] == 4


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_retry_5xx_then_success(client: GerraClient, real_emulator: Any, status: int) -> None:
    real_emulator.store.set_faults(error_rate=1.0, error_status=[status], fault_limit=2, fault_endpoints=["stats"])
    stats = client.stats()
    assert stats.total_datasets == 7
    assert real_emulator.store.calls.requests["stats"] == 3


def test_retry_5xx_exhausted(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(error_rate=1.0, error_status=[503], fault_endpoints=["list_datasets"])
    with capture_logs() as logs:
        with pytest.raises(ServerError) as caught:
            client.list_datasets()
    assert caught.value.status_code == 503
    assert real_emulator.store.calls.requests["list_datasets"] == 4
    assert len(_retry_events(logs)) == 3


def test_retry_dropped_connection(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(drop_rate=1.0, fault_limit=1, fault_endpoints=["get_dataset"])
    with capture_logs() as logs:
        dataset = client.get_dataset(STUBS_PENDING)
    assert dataset.status == "pending"
    assert real_emulator.store.calls.requests["get_dataset"] == 2
    assert [e["cause"] for e in _retry_events(logs)] == ["GerraTransportError"]


def test_retry_read_timeout(make_client: Any, real_emulator: Any) -> None:
    client = make_client(real_emulator, read_timeout_s=0.5)
    real_emulator.store.set_faults(delay_rate=1.0, delay_s=1.2, fault_limit=1, fault_endpoints=["stats"])
    with capture_logs() as logs:
        stats = client.stats()
    assert stats.total_datasets == 7
    events = _retry_events(logs)
    assert len(events) == 1
    assert "read_timeout" in events[0]["error"]


def test_retry_connect_refused(make_client: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more, so every connect is refused.
    with GerraClient(f"http://127.0.0.1:{port}", "gerra_refused0000000001", retry=RetryPolicy(
        max_attempts=3, initial_wait_s=0.0, max_wait_s=0.0, jitter_s=0.0,
    )) as client:
        with capture_logs() as logs:
            with pytest.raises(GerraTransportError) as caught:
                client.accept(STUBS_PENDING)
    assert caught.value.kind == "connect_error"
    assert caught.value.may_have_reached_server is False
    assert isinstance(caught.value.__cause__, Exception)
    assert len(_retry_events(logs)) == 2


def test_post_not_resent_after_5xx(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(error_rate=1.0, error_status=[503], fault_limit=1, fault_endpoints=["accept"])
    with pytest.raises(ServerError):
        client.accept(STUBS_PENDING)
    assert real_emulator.store.calls.requests["accept"] == 1


def test_post_not_resent_after_drop(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(drop_rate=1.0, fault_limit=1, fault_endpoints=["reject"])
    with pytest.raises(GerraTransportError) as caught:
        client.reject(STUBS_PENDING, "bad")
    assert caught.value.may_have_reached_server is True
    assert real_emulator.store.calls.requests["reject"] == 1


def test_post_not_resent_after_timeout(make_client: Any, real_emulator: Any) -> None:
    client = make_client(real_emulator, read_timeout_s=0.5)
    real_emulator.store.set_faults(delay_rate=1.0, delay_s=1.2, fault_limit=1, fault_endpoints=["accept"])
    with pytest.raises(GerraTransportError) as caught:
        client.accept(STUBS_PENDING)
    assert caught.value.kind == "read_timeout"
    assert real_emulator.store.calls.requests["accept"] == 1


def test_post_resent_after_429(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(rate_limit_every=1, fault_limit=1, fault_endpoints=["accept"])
    change = client.accept(STUBS_PENDING)
    assert change.status == "accepted"
    assert real_emulator.store.calls.requests["accept"] == 2
    assert real_emulator.store.calls.status_changes(STUBS_PENDING) == 1
