"""FaultEngine decisions without a server: scoping, counting, limits, windows, seeds."""

from __future__ import annotations

import time

import pytest

from gerra_emulator.faults import Endpoint, FaultEngine, FaultKind, FaultOptions, FaultRule

DATASET = "770e8400-e29b-41d4-a716-446655440001"
OTHER = "770e8400-e29b-41d4-a716-446655440002"


def fired(engine: FaultEngine, endpoint: Endpoint, dataset_id: str | None, count: int) -> list[bool]:
    return [engine.request_fault(endpoint, dataset_id) is not None for _ in range(count)]


def test_no_faults_by_default() -> None:
    engine = FaultEngine()

    assert engine.rules == []
    assert fired(engine, Endpoint.LIST_DATASETS, None, 5) == [False] * 5
    assert engine.download_plan(DATASET).is_clean


def test_every_nth() -> None:
    engine = FaultEngine(FaultOptions(rate_limit_every=2))

    assert fired(engine, Endpoint.STATS, None, 6) == [False, True, False, True, False, True]


def test_limit() -> None:
    engine = FaultEngine(FaultOptions(drop_rate=1.0, fault_limit=3))

    assert fired(engine, Endpoint.STATS, None, 5) == [True, True, True, False, False]
    assert engine.fired_counts() == {"drop_connection": 3}


def test_window() -> None:
    engine = FaultEngine(FaultOptions(rate_limit_window_s=0.05))

    assert fired(engine, Endpoint.STATS, None, 2) == [True, True]
    time.sleep(0.06)
    assert fired(engine, Endpoint.STATS, None, 2) == [False, False]


def test_seed_repeats_decisions() -> None:
    def decisions(seed: int) -> list[bool]:
        return fired(FaultEngine(FaultOptions(error_rate=0.3, seed=seed)), Endpoint.STATS, None, 200)

    first = decisions(5)

    assert first == decisions(5)
    assert first != decisions(6)
    # 0.3 of 200 requests is 60; a fair generator lands well inside 30-90.
    assert 30 < sum(first) < 90


def test_dataset_scope() -> None:
    engine = FaultEngine(FaultOptions(error_rate=1.0, fault_dataset_ids=[DATASET.upper()]))

    assert fired(engine, Endpoint.GET_DATASET, DATASET, 1) == [True]
    assert fired(engine, Endpoint.GET_DATASET, OTHER, 1) == [False]
    assert fired(engine, Endpoint.LIST_DATASETS, None, 1) == [False]


def test_endpoint_scope_drops_unfit_kinds() -> None:
    options = FaultOptions(error_rate=1.0, download_cut_rate=1.0, fault_endpoints=["accept"])

    kinds = [(rule.kind, rule.endpoints) for rule in options.to_rules()]

    assert kinds == [(FaultKind.HTTP_ERROR, frozenset({Endpoint.ACCEPT}))]


def test_lost_response_only_for_decisions() -> None:
    engine = FaultEngine(FaultOptions(lost_response_rate=1.0, lost_response_mode="502"))

    assert engine.lost_response(Endpoint.GET_DATASET, DATASET) is None
    rule = engine.lost_response(Endpoint.REJECT, DATASET)
    assert rule is not None
    assert rule.status == 502


def test_download_plan_combines_faults() -> None:
    engine = FaultEngine(
        FaultOptions(download_truncated_rate=1.0, corrupt_rate=1.0, download_short_rate=1.0, download_length_delta_bytes=7)
    )

    plan = engine.download_plan(DATASET)
    head_plan = engine.download_plan(DATASET, include_wire=False)

    assert (plan.truncate_bytes, plan.pad_bytes, plan.flipped_bytes) == (7, 0, 16)
    assert plan.wire is not None
    assert plan.wire.kind is FaultKind.DOWNLOAD_SHORT
    assert head_plan.wire is None


def test_status_change_taken_once() -> None:
    engine = FaultEngine(FaultOptions(supersede_after_get=[DATASET], accept_after_get=[OTHER]))

    assert engine.take_status_change(DATASET.upper()) == "superseded"
    assert engine.take_status_change(DATASET) is None
    assert engine.take_status_change(OTHER) == "accepted"


def test_first_matching_rule_wins() -> None:
    engine = FaultEngine(
        FaultOptions(
            rules=[
                FaultRule(kind=FaultKind.RATE_LIMIT, retry_after_s=9, limit=1),
                FaultRule(kind=FaultKind.HTTP_ERROR, statuses=(500,)),
            ]
        )
    )

    first = engine.request_fault(Endpoint.STATS, None)
    second = engine.request_fault(Endpoint.STATS, None)

    assert first is not None and (first.kind, first.retry_after_s) == (FaultKind.RATE_LIMIT, 9)
    assert second is not None and (second.kind, second.status) == (FaultKind.HTTP_ERROR, 500)


@pytest.mark.parametrize("status", [200, 503])
def test_lost_response_status_checked(status: int) -> None:
    with pytest.raises(ValueError, match=f"lost_response status {status} must be 502, 504 or null"):
        FaultRule(kind=FaultKind.LOST_RESPONSE, status=status)
