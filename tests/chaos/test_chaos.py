"""Chaos: killed gate processes under every fault reach the fault-free verdicts, once each.

The small scenario runs in the default test run and shares one result among
the tests below, so each property fails on its own. The full scenario (200
datasets, many kill rounds) is marked slow and runs with `make chaos`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from . import invariants
from .scenario import ChaosPlan, ChaosResult, run_chaos

SMALL_SEED = 20250301
FULL_SEED = int(os.environ.get("CHAOS_SEED", "7331"))


@pytest.fixture(scope="module")
def small_chaos(tmp_path_factory: pytest.TempPathFactory) -> ChaosResult:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("GERRA_"):
                patch.delenv(name)
        patch.setenv("GX_ANALYTICS_ENABLED", "false")
        plan = ChaosPlan(
            pending=12, kill_rounds=2, seed=SMALL_SEED, min_requests_before_kill=70, max_requests_before_kill=100
        )
        return run_chaos(plan, tmp_path_factory.mktemp("chaos"))


def test_reference_both_verdicts(small_chaos: ChaosResult) -> None:
    invariants.assert_reference_has_both_verdicts(small_chaos)


def test_faults_fired(small_chaos: ChaosResult) -> None:
    invariants.assert_faults_fired(small_chaos)


def test_pending_all_decided(small_chaos: ChaosResult) -> None:
    invariants.assert_all_decided(small_chaos)


def test_one_status_change_each(small_chaos: ChaosResult) -> None:
    invariants.assert_one_status_change_each(small_chaos)


def test_verdicts_match_reference(small_chaos: ChaosResult) -> None:
    invariants.assert_verdicts_match_reference(small_chaos)


def test_reasons_match_reference(small_chaos: ChaosResult) -> None:
    invariants.assert_reasons_match_reference(small_chaos)


def test_changed_decided_elsewhere(small_chaos: ChaosResult) -> None:
    invariants.assert_changed_decided_elsewhere(small_chaos)


def test_superseded_new_versions(small_chaos: ChaosResult) -> None:
    invariants.assert_superseded_have_new_versions(small_chaos)


def test_others_left_alone(small_chaos: ChaosResult) -> None:
    invariants.assert_others_left_alone(small_chaos)


def test_store_one_final_decision(small_chaos: ChaosResult) -> None:
    invariants.assert_store_has_one_final_decision_each(small_chaos)


def test_no_holds_left(small_chaos: ChaosResult) -> None:
    invariants.assert_no_stuck_or_held(small_chaos)


def test_work_dir_empty(small_chaos: ChaosResult) -> None:
    invariants.assert_work_dir_empty(small_chaos)


def test_no_secrets_written(small_chaos: ChaosResult) -> None:
    invariants.assert_no_secrets_written(small_chaos)


def test_leaked_macs_found() -> None:
    mac, other = "a" * 64, "0123456789abcdef" * 4
    assert invariants.leaked_macs(f"GET /x?token=eyJk.{mac} 400", {mac, other}) == {mac}
    assert invariants.leaked_macs(f"ff{other}00", {mac, other}) == {other}
    assert invariants.leaked_macs("sha256 " + "d" * 64, {mac, other}) == set()


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_full_chaos(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = ChaosPlan(pending=200, kill_rounds=25, seed=FULL_SEED, min_requests_before_kill=20, max_requests_before_kill=300, changes_per_kind=3, variants=4)
    with capsys.disabled():
        result = run_chaos(plan, tmp_path)
    for check in invariants.ALL:
        check(result)
