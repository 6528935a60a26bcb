"""A held dataset that Gerra moves out of pending is closed on the next run instead of staying held or stuck."""

from __future__ import annotations

from gerra_emulator.faults import Endpoint, FaultKind, FaultOptions, FaultRule
from worker.runner import run_once
from worker.state import StateStore


def test_held_then_superseded_closed(emulator, small_catalog, settings_for, state_of, work_files) -> None:
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    server.store.set_faults(FaultOptions(rules=[
        FaultRule(kind=FaultKind.HTTP_ERROR, endpoints=frozenset({Endpoint.DOWNLOAD}), statuses=(503,)),
    ]))
    settings = settings_for(server, max_retries=0, max_hold_attempts=1)

    first = run_once(settings)
    assert first.counts() == {"held": 1}
    [row] = state_of()["datasets"]
    assert (row["holds"], row["stuck"]) == (1, 1)

    new_version = server.store.supersede(dataset_id).id
    server.store.clear_faults()
    second = run_once(settings)

    assert second.counts() == {"accepted": 1}
    assert server.store.calls.status_changes(dataset_id) == 0
    assert server.store.calls.status_changes(new_version) == 1
    decisions = {row["dataset_id"]: row for row in state_of()["decisions"]}
    assert decisions[dataset_id]["post_state"] == "decided_elsewhere"
    assert decisions[dataset_id]["observed_status"] == "superseded"
    assert decisions[new_version]["post_state"] == "posted"
    holds = {row["id"]: (row["holds"], row["stuck"]) for row in state_of()["datasets"]}
    assert holds == {dataset_id: (0, 0), new_version: (0, 0)}
    store = StateStore(settings.state_db)
    try:
        assert store.stuck_datasets() == []
    finally:
        store.close()
    assert work_files() == []


def test_pending_held_not_closed(emulator, small_catalog, settings_for, state_of) -> None:
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    server.store.set_faults(FaultOptions(rules=[
        FaultRule(kind=FaultKind.HTTP_ERROR, endpoints=frozenset({Endpoint.DOWNLOAD}), statuses=(503,)),
    ]))
    settings = settings_for(server, max_retries=0)

    run_once(settings)
    run_once(settings)

    # Still pending, so the dataset stays held for a later attempt; nothing is closed.
    assert state_of()["decisions"] == []
    [row] = state_of()["datasets"]
    assert row["holds"] == 2
    assert server.store.dataset(dataset_id).status == "pending"
    assert server.store.calls.for_dataset(dataset_id)["download"] == 2
