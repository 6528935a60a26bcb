"""The state store: intents, posts, holds, leases, and sharing between processes."""

from pathlib import Path

import pytest

from worker.state import Decision, StateStore, utc_now


def _decision(dataset_id: str = "d1", post_state: str = "intent", dry_run: bool = False) -> Decision:
    return Decision(dataset_id, "name", "episode", "reject", "bad", 2, "abc", "digest", "0.1.0", None,
                    utc_now(), post_state, None, None, dry_run)


def test_intent_then_post_is_final(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.record_intent(_decision())
    assert [d.dataset_id for d in store.pending_intents()] == ["d1"]
    store.record_post("d1", "posted", "rejected")
    decision = store.decision("d1")
    assert decision is not None and decision.is_final
    assert store.pending_intents() == []


def test_final_decision_never_overwritten(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.record_intent(_decision())
    store.record_post("d1", "posted", "rejected")
    with pytest.raises(RuntimeError, match="already has a final decision"):
        store.record_intent(_decision())


def test_dry_run_decision_does_not_block_real_one(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.record_intent(_decision(post_state="intent", dry_run=True))
    assert store.pending_intents() == []
    store.record_intent(_decision())
    assert len(store.pending_intents()) == 1


def test_holds_back_off_and_become_stuck(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.record_seen("d1", "n", "episode")
    first = store.record_hold("d1", "timeout", backoff_s=60, max_holds=2)
    assert first.holds == 1 and not first.stuck
    second = store.record_hold("d1", "timeout again", backoff_s=60, max_holds=2)
    assert second.stuck and second.last_hold_cause == "timeout again"
    assert [row["id"] for row in store.stuck_datasets()] == ["d1"]
    store.clear_holds("d1")
    assert store.hold_state("d1").holds == 0


def test_lease_excludes_second_store(tmp_path: Path) -> None:
    first = StateStore(tmp_path / "s.db")
    second = StateStore(tmp_path / "s.db")
    assert first.acquire_lease("d1", 60)
    assert not second.acquire_lease("d1", 60)
    first.release_lease("d1")
    assert second.acquire_lease("d1", 60)


def test_expired_lease_can_be_taken(tmp_path: Path) -> None:
    first = StateStore(tmp_path / "s.db")
    second = StateStore(tmp_path / "s.db")
    assert first.acquire_lease("d1", -1)
    assert second.acquire_lease("d1", 60)


def test_decisions_filter_by_verdict(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.record_intent(_decision("a"))
    accept = _decision("b")
    store.record_intent(Decision(**{**accept.__dict__, "verdict": "accept"}))
    assert [d.dataset_id for d in store.decisions(verdict="accept")] == ["b"]


def test_lease_of_dead_process_is_taken_over(tmp_path: Path) -> None:
    import subprocess
    import sys

    first = StateStore(tmp_path / "s.db")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = first.owner.split(":")[0]
    first.owner = f"{host}:{int(dead.stdout)}:gone"
    assert first.acquire_lease("d1", 3600)
    second = StateStore(tmp_path / "s.db")
    assert second.acquire_lease("d1", 3600)
