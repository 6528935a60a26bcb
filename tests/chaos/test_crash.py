"""A gate process SIGKILLed mid-download, mid-check or between posting and recording recovers on restart.

Each test kills a real `python -m worker run --once` process at a moment it
detects from outside: a partial download on disk, a live inspection process,
or a status changed on the emulator. It then restarts the gate in this
process on the same state store and work folder.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from gerra_emulator.faults import Endpoint, FaultKind, FaultOptions, FaultRule
from worker.runner import run_once

from .gate_process import inspection_pids, session_processes, start_gate, wait_until


def _dataset_state(server: Any, dataset_id: str) -> dict[str, Any]:
    return server.store.dataset(dataset_id).to_dict()


def test_kill_mid_download(emulator, small_catalog, env_for, settings_for, state_of, work_files, gates, gate_root: Path) -> None:
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    # The storage delays its answer to the first download by 20 s.
    server.store.set_faults(FaultOptions(rules=[
        FaultRule(kind=FaultKind.DELAY, endpoints=frozenset({Endpoint.DOWNLOAD}), delay_s=20, limit=1),
    ]))
    gate = start_gate(env_for(server, read_timeout_s=60), gate_root / "logs", "download")
    gates.append(gate)
    partial = gate_root / "work" / dataset_id / "archive.part"

    wait_until(lambda: partial.exists() and server.store.calls.for_dataset(dataset_id)["download"] == 1,
               120, "the gate is downloading", gate)
    gate.kill()
    gate.kill_tree()
    assert partial.exists()
    assert _dataset_state(server, dataset_id)["status"] == "pending"

    server.store.clear_faults()
    summary = run_once(settings_for(server))

    assert summary.counts() == {"accepted": 1}
    assert _dataset_state(server, dataset_id)["status"] == "accepted"
    assert server.store.calls.status_changes(dataset_id) == 1
    assert server.store.calls.for_dataset(dataset_id)["download"] == 2
    state = state_of()
    assert [row["post_state"] for row in state["decisions"]] == ["posted"]
    assert [row["outcome"] for row in state["attempts"]] == [None, "accepted"]
    assert work_files() == []


def test_kill_mid_check(emulator, small_catalog, env_for, settings_for, state_of, work_files, gates, gate_root: Path) -> None:
    catalog = small_catalog(["episode-long"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    gate = start_gate(env_for(server), gate_root / "logs", "check")
    gates.append(gate)

    wait_until(lambda: inspection_pids(gate), 120, "the gate starts its inspection process", gate)
    time.sleep(0.2)
    inspecting = inspection_pids(gate)
    assert inspecting != [], "the inspection finished before the kill; the dataset is not slow enough"
    gate.kill()
    # The killed gate's inspection process runs on until its checks end; the
    # work folder must be empty even after that.
    assert set(inspecting) <= set(session_processes(gate.pid))
    assert _dataset_state(server, dataset_id)["status"] == "pending"
    assert state_of()["decisions"] == []

    summary = run_once(settings_for(server))
    wait_until(lambda: not session_processes(gate.pid), 60, "the killed gate's processes end")

    assert summary.counts() == {"accepted": 1}
    assert _dataset_state(server, dataset_id)["status"] == "accepted"
    assert server.store.calls.status_changes(dataset_id) == 1
    state = state_of()
    assert [row["post_state"] for row in state["decisions"]] == ["posted"]
    assert [row["outcome"] for row in state["attempts"]] == [None, "accepted"]
    assert work_files() == []


class _HeldDecisions:
    """Hold the emulator's accept and reject responses after the status has changed, until released.

    A wrapper around the store's own methods, so the change is applied by the
    emulator as usual and only its HTTP response waits. The reject route is a
    coroutine, so a waiting reject also blocks every other request. Use it
    for one decision at a time.
    """

    def __init__(self, store: Any) -> None:
        self.release = threading.Event()
        for name in ("accept", "reject"):
            setattr(store, name, self._held(getattr(store, name)))

    def _held(self, decide: Any) -> Any:
        def decide_then_wait(*args: Any, **kwargs: Any) -> Any:
            changed = decide(*args, **kwargs)
            self.release.wait(30)
            return changed

        return decide_then_wait


def _kill_between_post_and_record(server: Any, dataset_id: str, env: dict[str, str], gates: list, gate_root: Path) -> None:
    held = _HeldDecisions(server.store)
    gate = start_gate(env, gate_root / "logs", "post")
    gates.append(gate)
    try:
        wait_until(lambda: _dataset_state(server, dataset_id)["status"] != "pending", 120,
                   "the emulator applies the decision", gate)
        gate.kill()
        gate.kill_tree()
    finally:
        held.release.set()


def test_kill_after_accept_applied(emulator, small_catalog, env_for, settings_for, state_of, work_files, gates,
                                   gate_root: Path) -> None:
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    _kill_between_post_and_record(server, dataset_id, env_for(server), gates, gate_root)
    assert [(row["verdict"], row["post_state"]) for row in state_of()["decisions"]] == [("accept", "intent")]

    summary = run_once(settings_for(server))

    assert summary.pending == 0
    assert _dataset_state(server, dataset_id)["status"] == "accepted"
    assert server.store.calls.status_changes(dataset_id) == 1
    [decision] = state_of()["decisions"]
    # Nothing in an accepted dataset shows who accepted it. The intent that
    # the killed process recorded is what makes the accept ours.
    assert decision["post_state"] == "already_ours"
    assert decision["observed_status"] == "accepted"
    assert work_files() == []


def test_kill_after_reject_applied(emulator, small_catalog, env_for, settings_for, state_of, work_files, gates,
                                   gate_root: Path) -> None:
    catalog = small_catalog(["telemetry-gap"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    _kill_between_post_and_record(server, dataset_id, env_for(server), gates, gate_root)
    assert [(row["verdict"], row["post_state"]) for row in state_of()["decisions"]] == [("reject", "intent")]

    summary = run_once(settings_for(server))

    assert summary.pending == 0
    dataset = _dataset_state(server, dataset_id)
    assert dataset["status"] == "rejected"
    assert server.store.calls.status_changes(dataset_id) == 1
    [decision] = state_of()["decisions"]
    assert decision["post_state"] == "already_ours"
    assert decision["observed_status"] == "rejected"
    assert dataset["metadata"]["rejection_reason"] == decision["reason"]
    assert "gaps" in decision["reason"]
    assert work_files() == []
