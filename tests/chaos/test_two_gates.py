"""Two gate processes on one state store split the work: no dataset is gated twice, each is decided once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from gerra_emulator.faults import Endpoint, FaultKind, FaultOptions, FaultRule

from .gate_process import start_gate

RECIPES = ["telemetry", "telemetry-gap", "episode", "episode-nan", "clip", "clip-wrong-duration"]


def test_two_gates_decide_each_once(emulator, small_catalog, env_for, state_of, work_files, gates,
                                    gate_root: Path) -> None:
    catalog = small_catalog(RECIPES, pending=6)
    server = emulator(catalog.path)
    # Slow every download a little, so both processes are busy at the same time.
    server.store.set_faults(FaultOptions(rules=[
        FaultRule(kind=FaultKind.DELAY, endpoints=frozenset({Endpoint.DOWNLOAD}), delay_s=0.5),
    ]))
    env = env_for(server)
    pair = [start_gate(env, gate_root / "logs", f"gate-{index}") for index in (1, 2)]
    gates.extend(pair)
    codes = [gate.wait(300) for gate in pair]

    assert codes == [0, 0], [gate.log_tail() for gate in pair]
    pending = catalog.pending_ids()
    statuses = Counter(server.store.dataset(dataset_id).status for dataset_id in pending)
    assert sorted(statuses) == ["accepted", "rejected"]
    assert sum(statuses.values()) == 6
    assert [server.store.calls.status_changes(dataset_id) for dataset_id in pending] == [1] * 6

    state = state_of()
    attempts = Counter(row["dataset_id"] for row in state["attempts"])
    assert attempts == Counter({dataset_id: 1 for dataset_id in pending})
    owners = {row["owner"] for row in state["attempts"]}
    assert len(owners) == 2, "one process gated every dataset; the test did not overlap the two"
    # One download per accepted dataset; a rejection downloads twice to confirm the bytes.
    for dataset_id in pending:
        expected = 1 if server.store.dataset(dataset_id).status == "accepted" else 2
        assert server.store.calls.for_dataset(dataset_id)["download"] == expected, dataset_id
    assert sorted(row["post_state"] for row in state["decisions"]) == ["posted"] * 6
    assert state["leases"] == []
    assert work_files() == []
