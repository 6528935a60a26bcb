"""Decisions survive API responses that do not come from Gerra's dataset logic: no decision lost, none doubled."""

from __future__ import annotations

import pytest

from gerra_emulator.faults import Endpoint, FaultKind, FaultOptions, FaultRule
from worker.runner import run_once
from worker.state import StateStore

DECISIONS = frozenset({Endpoint.ACCEPT, Endpoint.REJECT})


def _rule(kind: FaultKind, endpoints: frozenset[Endpoint], **fields) -> FaultOptions:
    return FaultOptions(rules=[FaultRule(kind=kind, endpoints=endpoints, **fields)])


@pytest.mark.parametrize("status", [403, 404])
def test_gateway_refusal_keeps_decision(emulator, small_catalog, settings_for, state_of, status: int) -> None:
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    server.store.set_faults(_rule(FaultKind.GATEWAY_REFUSAL, DECISIONS, status=status, limit=1))
    settings = settings_for(server, max_retries=0)

    first = run_once(settings)
    assert first.counts() == {"held": 1}
    assert "DecisionNotApplied" in first.outcomes[0].cause
    [decision] = state_of()["decisions"]
    assert (decision["verdict"], decision["post_state"]) == ("accept", "intent")
    assert server.store.dataset(dataset_id).status == "pending"

    second = run_once(settings)
    assert second.counts() == {"accepted": 1}
    assert server.store.calls.status_changes(dataset_id) == 1
    [decision] = state_of()["decisions"]
    assert decision["post_state"] == "posted"


def test_pending_again_is_gated(emulator, small_catalog, settings_for, state_of) -> None:
    """A dataset recorded as decided elsewhere, for example seen in admin review, is gated once it is pending again."""
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    settings = settings_for(server)
    store = StateStore(settings.state_db)
    store.record_seen(dataset_id, "x", "telemetry")
    store.record_decided_elsewhere(dataset_id, "x", "telemetry", "for_admin_review")
    store.close()

    summary = run_once(settings)

    assert summary.counts() == {"accepted": 1}
    assert server.store.calls.status_changes(dataset_id) == 1
    [decision] = state_of()["decisions"]
    assert (decision["verdict"], decision["post_state"]) == ("accept", "posted")


def test_posted_not_gated_again(emulator, small_catalog, settings_for) -> None:
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    settings = settings_for(server)
    assert run_once(settings).counts() == {"accepted": 1}

    server.store.set_status(dataset_id, "pending")
    again = run_once(settings)

    assert again.counts() == {"skipped": 1}
    assert server.store.calls.status_changes(dataset_id) == 1


def test_held_then_gone_closed(emulator, small_catalog, settings_for, state_of) -> None:
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    server.store.set_faults(_rule(FaultKind.HTTP_ERROR, frozenset({Endpoint.DOWNLOAD}), statuses=(503,)))
    settings = settings_for(server, max_retries=0, max_hold_attempts=1)
    assert run_once(settings).counts() == {"held": 1}

    # A hidden admin-review dataset returns 404 everywhere, as a deleted one does.
    server.store.set_status(dataset_id, "for_admin_review")
    server.store.set_faults(hide_admin_review=True)
    run_once(settings)

    [decision] = state_of()["decisions"]
    assert (decision["post_state"], decision["observed_status"]) == ("decided_elsewhere", "not_found")
    [row] = state_of()["datasets"]
    assert (row["holds"], row["stuck"]) == (0, 0)


def test_failing_post_counts_holds(emulator, small_catalog, settings_for, state_of) -> None:
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    server.store.set_faults(_rule(FaultKind.HTTP_ERROR, DECISIONS, statuses=(503,)))
    settings = settings_for(server, max_retries=0, max_hold_attempts=3)

    for expected_holds in (1, 2, 3):
        summary = run_once(settings)
        assert summary.counts() == {"held": 1}
        [row] = state_of()["datasets"]
        assert row["holds"] == expected_holds
    assert row["stuck"] == 1
    # One post per run: the recorded intent is not retried a second time within a run.
    assert server.store.calls.for_dataset(dataset_id)["accept"] == 3

    server.store.clear_faults()
    assert run_once(settings).counts() == {"accepted": 1}
    [row] = state_of()["datasets"]
    assert (row["holds"], row["stuck"]) == (0, 0)
    assert server.store.calls.status_changes(dataset_id) == 1


def test_dry_run_keeps_real_intent(emulator, small_catalog, settings_for, state_of) -> None:
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    server.store.set_faults(_rule(FaultKind.HTTP_ERROR, DECISIONS, statuses=(503,), limit=1))
    assert run_once(settings_for(server, max_retries=0)).counts() == {"held": 1}

    dry = run_once(settings_for(server, dry_run=True))
    assert dry.counts() == {"skipped": 1}
    [decision] = state_of()["decisions"]
    assert (decision["post_state"], decision["dry_run"]) == ("intent", 0)

    assert run_once(settings_for(server)).counts() == {"accepted": 1}
    assert server.store.calls.status_changes(dataset_id) == 1
