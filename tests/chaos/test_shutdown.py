"""SIGTERM: the gate finishes the dataset in hand and exits 0, or exits 1 when the grace period runs out."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from worker.runner import run_once

from .gate_process import inspection_pids, session_processes, start_gate, wait_until

GRACE_S = 30.0


def _dataset_in_hand(work: Path) -> list[str]:
    return sorted(entry.name for entry in work.iterdir()) if work.exists() else []


def test_sigterm_finishes_dataset_in_hand(emulator, small_catalog, env_for, settings_for, state_of, work_files, gates,
                                          gate_root: Path) -> None:
    catalog = small_catalog(["telemetry", "telemetry-gap", "telemetry"])
    server = emulator(catalog.path)
    gate = start_gate(env_for(server, shutdown_grace_s=GRACE_S), gate_root / "logs", "sigterm")
    gates.append(gate)

    wait_until(lambda: inspection_pids(gate), 120, "the gate checks its first dataset", gate)
    in_hand = _dataset_in_hand(gate_root / "work")
    # A container runtime signals the main process only.
    gate.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    code = gate.wait(GRACE_S + 30)
    elapsed = time.monotonic() - signalled

    assert code == 0, gate.log_tail()
    assert elapsed < GRACE_S
    assert len(in_hand) == 1
    statuses = {dataset_id: server.store.dataset(dataset_id).status for dataset_id in catalog.pending_ids()}
    assert statuses.pop(in_hand[0]) == "accepted"
    assert sorted(statuses.values()) == ["pending", "pending"]
    assert sum(server.store.calls.status_changes(dataset_id) for dataset_id in catalog.pending_ids()) == 1
    events = [event["event"] for event in gate.events()]
    assert events.count("shutdown_requested") == 1
    assert events.count("dataset_decided") == 1
    finished = [event for event in gate.events() if event["event"] == "run_finished"]
    assert [event["stopped_early"] for event in finished] == [True]
    assert "3 pending; accepted 1" in gate.stdout_path.read_text()
    assert work_files() == []

    summary = run_once(settings_for(server))
    assert summary.counts() == {"accepted": 1, "rejected": 1}
    assert [server.store.calls.status_changes(dataset_id) for dataset_id in catalog.pending_ids()] == [1, 1, 1]


def test_sigterm_grace_exceeded_exits_1(emulator, small_catalog, env_for, settings_for, state_of, work_files, gates,
                                        gate_root: Path) -> None:
    catalog = small_catalog(["episode-long"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    gate = start_gate(env_for(server, shutdown_grace_s=0.2), gate_root / "logs", "grace")
    gates.append(gate)

    wait_until(lambda: inspection_pids(gate), 120, "the gate checks the slow dataset", gate)
    gate.process.send_signal(signal.SIGTERM)
    code = gate.wait(30)

    assert code == 1
    events = [event["event"] for event in gate.events()]
    assert "shutdown_grace_exceeded" in events
    assert "dataset_decided" not in events
    assert server.store.dataset(dataset_id).status == "pending"
    assert state_of()["decisions"] == []

    summary = run_once(settings_for(server))
    wait_until(lambda: not session_processes(gate.pid), 60, "the stopped gate's processes end")

    assert summary.counts() == {"accepted": 1}
    assert server.store.dataset(dataset_id).status == "accepted"
    assert server.store.calls.status_changes(dataset_id) == 1
    assert [row["post_state"] for row in state_of()["decisions"]] == ["posted"]
    assert work_files() == []

