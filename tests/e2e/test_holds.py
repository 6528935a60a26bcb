"""Holds: faults on our side post nothing and the next run decides."""

from __future__ import annotations

import os
from pathlib import Path

from worker.runner import run_once
from worker.settings import load_settings
from worker.state import StateStore

REPO_ROOT = Path(__file__).resolve().parents[2]
POV = "770e8400-e29b-41d4-a716-446655440004"
THIRD_PERSON = "770e8400-e29b-41d4-a716-446655440006"


def _settings(server, tmp_path: Path, rules: Path | None = None):
    os.environ["GERRA_API_KEY"] = "gerra_acme0000000000000001"
    return load_settings(
        api_url=server.base_url, rules_dir=rules or REPO_ROOT / "rules", work_dir=tmp_path / "work",
        state_dir=tmp_path / "state", max_retries=1, retry_max_wait_s=0.1, hold_backoff_s=0,
        max_hold_attempts=2,
    )


def test_download_failure_holds_then_decides(real_emulator, tmp_path: Path) -> None:
    real_emulator.store.set_faults(error_rate=1.0, fault_endpoints=["download"], fault_dataset_ids=[POV])
    settings = _settings(real_emulator, tmp_path)

    first = run_once(settings)
    held = [o for o in first.outcomes if o.action == "held"]
    assert [o.dataset_id for o in held] == [POV]
    assert real_emulator.store.dataset(POV)["status"] == "pending"
    assert real_emulator.store.calls.status_changes(POV) == 0

    second = run_once(settings)
    assert [o.action for o in second.outcomes] == ["held"]
    store = StateStore(settings.state_db)
    assert store.hold_state(POV).stuck
    assert [row["id"] for row in store.stuck_datasets()] == [POV]

    real_emulator.store.clear_faults()
    third = run_once(settings)
    assert [(o.dataset_id, o.action) for o in third.outcomes] == [(POV, "accepted")]
    assert real_emulator.store.calls.status_changes(POV) == 1
    assert not store.hold_state(POV).stuck


def test_dataset_without_suite_is_held(real_emulator, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "pov.yaml").write_text(
        "suite: pov-only\nversion: 1\napplies_to:\n  data_type: synthetic_pov\nrules:\n"
        "  - check: archive.required_members\n    args:\n      patterns: ['**/*.mp4']\n"
    )
    summary = run_once(_settings(real_emulator, tmp_path, rules))
    actions = {o.dataset_id: o.action for o in summary.outcomes}
    assert actions[POV] == "accepted"
    assert actions[THIRD_PERSON] == "held"
    held = next(o for o in summary.outcomes if o.dataset_id == THIRD_PERSON)
    assert "no rule suite applies to data_type 'synthetic_third_person'" in (held.cause or "")
    assert real_emulator.store.dataset(THIRD_PERSON)["status"] == "pending"


def test_corruption_in_transit_never_rejects(real_emulator, tmp_path: Path) -> None:
    # Only the first download is corrupted, as a bad transfer would be; the
    # confirming download differs, so the gate holds instead of rejecting.
    real_emulator.store.set_faults(corrupt_rate=1.0, corrupt_byte_count=4096, fault_limit=1,
                                   fault_endpoints=["download"], fault_dataset_ids=[POV])
    settings = _settings(real_emulator, tmp_path)
    first = run_once(settings)
    outcome = next(o for o in first.outcomes if o.dataset_id == POV)
    assert outcome.action == "held"
    assert "differ between two downloads" in (outcome.cause or "")
    assert real_emulator.store.dataset(POV)["status"] == "pending"

    second = run_once(settings)
    assert [(o.dataset_id, o.action) for o in second.outcomes] == [(POV, "accepted")]


def test_consistently_corrupt_archive_rejected(real_emulator, tmp_path: Path) -> None:
    # Every download returns the same damaged bytes: that is the archive Gerra stores.
    real_emulator.store.set_faults(corrupt_rate=1.0, corrupt_byte_count=4096,
                                   fault_endpoints=["download"], fault_dataset_ids=[POV])
    summary = run_once(_settings(real_emulator, tmp_path))
    outcome = next(o for o in summary.outcomes if o.dataset_id == POV)
    assert outcome.action == "rejected"
    assert real_emulator.store.dataset(POV)["status"] == "rejected"


def test_api_retries_counted(real_emulator, tmp_path: Path) -> None:
    from worker import metrics

    before = metrics.RETRIES.labels("ServerError")._value.get()
    real_emulator.store.set_faults(error_rate=1.0, error_status=[503], fault_limit=1, fault_endpoints=["list_datasets"])
    run_once(_settings(real_emulator, tmp_path))
    assert metrics.RETRIES.labels("ServerError")._value.get() == before + 1


def test_archive_above_size_limit_is_held(real_emulator, tmp_path: Path) -> None:
    settings = _settings(real_emulator, tmp_path)
    settings.max_archive_bytes = 1_000_000
    summary = run_once(settings)
    actions = {o.dataset_id: o.action for o in summary.outcomes}
    assert actions["770e8400-e29b-41d4-a716-446655440001"] == "held"
    assert actions["770e8400-e29b-41d4-a716-446655440003"] == "rejected"
    held = next(o for o in summary.outcomes if o.action == "held" and o.dataset_id.endswith("0001"))
    assert "above max_archive_bytes" in (held.cause or "")
