"""End to end: the gate against the emulator serving the real deliveries, over sockets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from worker.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "gerra_acme0000000000000001"


def _settings(server, tmp_path: Path, **overrides):
    os.environ["GERRA_API_KEY"] = API_KEY
    return load_settings(
        api_url=server.base_url,
        rules_dir=REPO_ROOT / "rules",
        work_dir=tmp_path / "work",
        state_dir=tmp_path / "state",
        max_retries=2,
        retry_max_wait_s=0.5,
        **overrides,
    )


def _status(server, dataset_id: str) -> str:
    return server.store.dataset(dataset_id)["status"]


def test_run_once_reaches_expected_outcome(real_emulator, real_datasets_dir: Path, tmp_path: Path) -> None:
    from worker.runner import run_once

    expected = json.loads((real_datasets_dir / "expected.json").read_text())
    summary = run_once(_settings(real_emulator, tmp_path))

    for dataset_id, status in expected["final_status"].items():
        assert _status(real_emulator, dataset_id) == status, dataset_id
    for dataset_id, words in expected["reason_mentions"].items():
        reason = real_emulator.store.dataset(dataset_id)["metadata"]["rejection_reason"]
        for word in words:
            assert word.lower() in reason.lower(), (dataset_id, word, reason)
        assert len(reason) <= 1000
    assert summary.counts() == {"accepted": 2, "rejected": 3}
    assert list((tmp_path / "work").glob("*")) == []


def test_second_run_posts_nothing_again(real_emulator, tmp_path: Path) -> None:
    from worker.runner import run_once

    settings = _settings(real_emulator, tmp_path)
    run_once(settings)
    first = real_emulator.store.calls
    second = run_once(settings)
    assert second.pending == 0
    after = real_emulator.store.calls
    assert after.accepted == first.accepted
    assert after.rejected == first.rejected
    assert sum(first.accepted.values()) == 2
    assert sum(first.rejected.values()) == 3


def test_dry_run_posts_nothing(real_emulator, tmp_path: Path) -> None:
    from worker.runner import run_once

    summary = run_once(_settings(real_emulator, tmp_path, dry_run=True))
    assert summary.counts() == {"dry_run": 5}
    assert _status(real_emulator, "770e8400-e29b-41d4-a716-446655440002") == "pending"
    reports = list((tmp_path / "state" / "reports").glob("*/*.json"))
    assert len(reports) == 5


def test_cli_run_once_over_real_catalog(real_emulator, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GERRA_API_URL": real_emulator.base_url,
        "GERRA_API_KEY": API_KEY,
        "GERRA_RULES_DIR": str(REPO_ROOT / "rules"),
        "GERRA_WORK_DIR": str(tmp_path / "work"),
        "GERRA_STATE_DIR": str(tmp_path / "state"),
        "GERRA_LOG_FORMAT": "json",
    }
    done = subprocess.run(
        [sys.executable, "-m", "worker", "run", "--once"], env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _status(real_emulator, "770e8400-e29b-41d4-a716-446655440001") == "accepted"
    assert _status(real_emulator, "770e8400-e29b-41d4-a716-446655440002") == "rejected"
    assert API_KEY not in done.stderr and "token=" not in done.stderr.replace("token=***", "")
    events = [json.loads(line)["event"] for line in done.stderr.splitlines() if line.startswith("{")]
    assert "run_started" in events and "decision_posted" in events


@pytest.mark.parametrize(
    ("archive", "data_type", "metadata", "code"),
    [
        ("g1-pick-bottle-v21.zip", "episode", [], 0),
        ("new-test-lfs-stubs.zip", "episode", [], 1),
        ("cockatoo-pov.zip", "synthetic_third_person", ["duration_seconds=5.0"], 1),
        ("cockatoo-pov.zip", "synthetic_pov", ["duration_seconds=14.0"], 0),
    ],
)
def test_cli_check_exit_codes(real_datasets_dir: Path, archive, data_type, metadata, code) -> None:
    args = [sys.executable, "-m", "worker", "check", str(real_datasets_dir / archive), "--data-type", data_type,
            "--rules", str(REPO_ROOT / "rules")]
    for pair in metadata:
        args += ["--metadata", pair]
    done = subprocess.run(args, capture_output=True, text=True, timeout=240)
    assert done.returncode == code, done.stdout[-2000:] + done.stderr[-2000:]
