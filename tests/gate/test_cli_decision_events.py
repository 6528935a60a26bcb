"""The decision log event distinguishes a posted decision from one that another party made first."""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from worker.gerra.client import GerraClient
from worker.gerra.decisions import post_decision

API_KEY = "gerra_acme0000000000000001"
SO101_PENDING = "770e8400-e29b-41d4-a716-446655440003"
REASON = "video.decodable: 2 of 3 files unreadable"


def _decision_events(logs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["event"], e["outcome"]) for e in logs if e["event"].startswith("decision_") and "outcome" in e]


def test_decided_elsewhere_not_posted(real_emulator: Any) -> None:
    with GerraClient(real_emulator.base_url, API_KEY) as client:
        client.reject(SO101_PENDING, "a human reviewer's reason")
        with capture_logs() as logs:
            outcome = post_decision(client, SO101_PENDING, "reject", REASON)
    assert outcome.kind == "decided_elsewhere"
    assert _decision_events(logs) == [("decision_not_posted", "decided_elsewhere")]


def test_posted_decision_event(real_emulator: Any) -> None:
    with GerraClient(real_emulator.base_url, API_KEY) as client, capture_logs() as logs:
        post_decision(client, SO101_PENDING, "reject", REASON)
    assert _decision_events(logs) == [("decision_posted", "posted")]
