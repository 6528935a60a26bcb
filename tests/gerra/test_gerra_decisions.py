"""post_decision posts each decision once and classifies lost responses and 422s."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from real_ids import COCKATOO_V1_PENDING, G1_ACCEPTED, OTHER_ORG_PENDING, SO101_PENDING, STUBS_PENDING
from structlog.testing import capture_logs

from worker.gerra.client import GerraClient
from worker.gerra.decisions import post_decision
from worker.gerra.errors import ForbiddenError, GerraTransportError, ServerError

REASON = "video.decodable: 2 of 3 files unreadable"


def test_decision_posted(client: GerraClient, real_emulator: Any) -> None:
    outcome = post_decision(client, STUBS_PENDING, "accept")
    assert outcome.kind == "posted"
    assert outcome.observed_status == "accepted"
    assert outcome.attempts == 1
    assert real_emulator.store.calls.status_changes(STUBS_PENDING) == 1


def test_reject_posted_with_reason(client: GerraClient, real_emulator: Any) -> None:
    outcome = post_decision(client, SO101_PENDING, "reject", REASON)
    assert outcome.kind == "posted"
    assert outcome.observed_status == "rejected"
    assert real_emulator.store.dataset(SO101_PENDING)["metadata"]["rejection_reason"] == REASON


@pytest.mark.parametrize("mode", ["drop", "502", "504"])
def test_lost_accept_is_ours(client: GerraClient, real_emulator: Any, mode: str) -> None:
    real_emulator.store.set_faults(lost_response_rate=1.0, lost_response_mode=mode, fault_limit=1)
    with capture_logs() as logs:
        outcome = post_decision(client, STUBS_PENDING, "accept")
    assert outcome.kind == "already_ours"
    assert outcome.observed_status == "accepted"
    calls = real_emulator.store.calls
    assert calls.requests["accept"] == 1
    assert calls.status_changes(STUBS_PENDING) == 1
    assert [e["event"] for e in logs if e["event"] == "decision_outcome_unknown"] == ["decision_outcome_unknown"]


@pytest.mark.parametrize("mode", ["drop", "502", "504"])
def test_lost_reject_is_ours(client: GerraClient, real_emulator: Any, mode: str) -> None:
    real_emulator.store.set_faults(lost_response_rate=1.0, lost_response_mode=mode, fault_limit=1)
    outcome = post_decision(client, SO101_PENDING, "reject", REASON)
    assert outcome.kind == "already_ours"
    assert outcome.observed_status == "rejected"
    assert real_emulator.store.calls.requests["reject"] == 1
    assert real_emulator.store.calls.status_changes(SO101_PENDING) == 1


def test_rejected_elsewhere_other_reason(client: GerraClient, real_emulator: Any) -> None:
    client.reject(SO101_PENDING, "a human reviewer's reason")
    outcome = post_decision(client, SO101_PENDING, "reject", REASON)
    assert outcome.kind == "decided_elsewhere"
    assert outcome.observed_status == "rejected"
    assert real_emulator.store.dataset(SO101_PENDING)["metadata"]["rejection_reason"] == "a human reviewer's reason"


def test_rejected_earlier_by_us(client: GerraClient) -> None:
    client.reject(SO101_PENDING, REASON)
    outcome = post_decision(client, SO101_PENDING, "reject", REASON)
    assert outcome.kind == "already_ours"


def test_accepted_elsewhere(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(accept_after_get=[COCKATOO_V1_PENDING])
    assert client.get_dataset(COCKATOO_V1_PENDING).status == "pending"
    outcome = post_decision(client, COCKATOO_V1_PENDING, "accept")
    assert outcome.kind == "decided_elsewhere"
    assert outcome.observed_status == "accepted"
    assert real_emulator.store.calls.status_changes(COCKATOO_V1_PENDING) == 0


@pytest.mark.parametrize("change", ["supersede_after_get", "discard_after_get"])
def test_changed_by_gerra(client: GerraClient, real_emulator: Any, change: str) -> None:
    real_emulator.store.set_faults(**{change: [COCKATOO_V1_PENDING]})
    client.get_dataset(COCKATOO_V1_PENDING)
    outcome = post_decision(client, COCKATOO_V1_PENDING, "reject", REASON)
    assert outcome.kind == "decided_elsewhere"
    assert outcome.observed_status == {"supersede_after_get": "superseded", "discard_after_get": "discarded"}[change]


def test_not_pending_at_start(client: GerraClient) -> None:
    outcome = post_decision(client, G1_ACCEPTED, "reject", REASON)
    assert outcome.kind == "decided_elsewhere"
    assert outcome.observed_status == "accepted"


def test_pending_after_5xx_posts_again(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(error_rate=1.0, error_status=[500], fault_limit=1, fault_endpoints=["accept"])
    outcome = post_decision(client, STUBS_PENDING, "accept")
    assert outcome.kind == "posted"
    assert outcome.attempts == 2
    assert real_emulator.store.calls.requests["accept"] == 2
    assert real_emulator.store.calls.requests["get_dataset"] == 1
    assert real_emulator.store.calls.status_changes(STUBS_PENDING) == 1


def test_pending_after_drop_posts_again(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(drop_rate=1.0, fault_limit=1, fault_endpoints=["reject"])
    outcome = post_decision(client, SO101_PENDING, "reject", REASON)
    assert outcome.kind == "posted"
    assert outcome.attempts == 2
    assert real_emulator.store.calls.status_changes(SO101_PENDING) == 1


def test_persistent_5xx_raises(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(error_rate=1.0, error_status=[503], fault_endpoints=["accept"])
    with pytest.raises(ServerError):
        post_decision(client, STUBS_PENDING, "accept")
    assert real_emulator.store.calls.requests["accept"] == 4
    assert real_emulator.store.dataset(STUBS_PENDING)["status"] == "pending"


def test_read_back_failure_raises(client: GerraClient, real_emulator: Any) -> None:
    real_emulator.store.set_faults(drop_rate=1.0, fault_endpoints=["accept", "get_dataset"])
    with pytest.raises(GerraTransportError):
        post_decision(client, STUBS_PENDING, "accept")
    assert real_emulator.store.calls.requests["accept"] == 1
    assert real_emulator.store.calls.requests["get_dataset"] == 4


def test_forbidden_passes_through(client: GerraClient) -> None:
    with pytest.raises(ForbiddenError):
        post_decision(client, OTHER_ORG_PENDING, "accept")


def test_decision_input_checked(client: GerraClient, real_emulator: Any) -> None:
    with pytest.raises(ValueError, match="'maybe'"):
        post_decision(client, STUBS_PENDING, "maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-blank reason"):
        post_decision(client, STUBS_PENDING, "reject", " ")
    assert real_emulator.store.calls.requests["reject"] == 0


def test_concurrent_accepts_post_once(client: GerraClient, real_emulator: Any) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda _: post_decision(client, STUBS_PENDING, "accept"), range(2)))
    assert sorted(outcome.kind for outcome in outcomes) == ["decided_elsewhere", "posted"]
    assert {outcome.observed_status for outcome in outcomes} == {"accepted"}
    assert real_emulator.store.calls.status_changes(STUBS_PENDING) == 1
