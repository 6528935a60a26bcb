"""Leases stay with the process working on a dataset, and a lost lease blocks its decision."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from worker.lease import LeaseKeeper
from worker.state import Decision, LeaseLostError, StateStore, utc_now

LEASE_S = 0.3


def _decision(dataset_id: str = "d1") -> Decision:
    return Decision(dataset_id, "name", "episode", "accept", None, 0, "abc", "digest", "0.1.0", None,
                    utc_now(), "intent", None, None, False)


def test_keeper_outlives_lease(tmp_path: Path) -> None:
    first, second = StateStore(tmp_path / "s.db"), StateStore(tmp_path / "s.db")
    assert first.acquire_lease("d1", LEASE_S)
    with LeaseKeeper(first, "d1", LEASE_S):
        time.sleep(LEASE_S * 3)
        assert not second.acquire_lease("d1", LEASE_S)
        first.record_intent(_decision(), under_lease=True)
    first.release_lease("d1")
    assert second.acquire_lease("d1", LEASE_S)


def test_lease_expires_without_keeper(tmp_path: Path) -> None:
    first, second = StateStore(tmp_path / "s.db"), StateStore(tmp_path / "s.db")
    assert first.acquire_lease("d1", LEASE_S)
    time.sleep(LEASE_S * 1.5)
    assert second.acquire_lease("d1", 60)


def test_lost_lease_blocks_intent(tmp_path: Path) -> None:
    first, second = StateStore(tmp_path / "s.db"), StateStore(tmp_path / "s.db")
    assert first.acquire_lease("d1", LEASE_S)
    time.sleep(LEASE_S * 1.5)
    assert second.acquire_lease("d1", 60)
    with pytest.raises(LeaseLostError, match="d1"):
        first.record_intent(_decision(), under_lease=True)
    assert first.decision("d1") is None


def test_keeper_notices_takeover(tmp_path: Path) -> None:
    first, second = StateStore(tmp_path / "s.db"), StateStore(tmp_path / "s.db")
    assert first.acquire_lease("d1", LEASE_S)
    time.sleep(LEASE_S * 1.5)
    assert second.acquire_lease("d1", 60)
    with LeaseKeeper(first, "d1", LEASE_S) as keeper:
        assert keeper.lost.wait(LEASE_S * 3)


def test_intent_without_lease_rejected(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    with pytest.raises(LeaseLostError):
        store.record_intent(_decision(), under_lease=True)
    store.record_intent(_decision())
    assert store.decision("d1").post_state == "intent"


def test_restarted_process_lease_taken(tmp_path: Path) -> None:
    """A process with our PID but another start time (a restarted container) no longer holds its lease."""
    first = StateStore(tmp_path / "s.db")
    host, pid, start, nonce = first.owner.split(":")
    first.owner = f"{host}:{pid}:{int(start) + 1}:{nonce}"
    assert first.acquire_lease("d1", 3600)
    second = StateStore(tmp_path / "s.db")
    assert second.acquire_lease("d1", 3600)


def test_keeper_survives_store_error(tmp_path: Path) -> None:
    """A failed renewal (here: the store's connection is closed) is logged and retried, not fatal."""
    store = StateStore(tmp_path / "s.db")
    assert store.acquire_lease("d1", LEASE_S)
    store.close()
    with capture_logs() as events, LeaseKeeper(store, "d1", LEASE_S) as keeper:
        time.sleep(LEASE_S)
    assert not keeper.lost.is_set()
    failures = [event for event in events if event["event"] == "lease_renewal_failed"]
    assert failures
    assert failures[0]["dataset_id"] == "d1"
