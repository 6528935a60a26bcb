"""A gate run against the emulator sends notices for rejections and stuck datasets, and writes HTML reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gerra_emulator.testing import ControlClient
from worker.runner import run_once
from worker.settings import load_settings
from worker.state import Decision, StateStore, utc_now

from .builders import builtin_rules, jump_dataset, recording, write_dataset
from .receiver import Receiver

ORG = "660e8400-e29b-41d4-a716-446655440000"
API_KEY = "gerra_report0000000000001"
REJECTED = "990e8400-e29b-41d4-a716-000000000001"
ACCEPTED = "990e8400-e29b-41d4-a716-000000000002"
NO_SUITE = "990e8400-e29b-41d4-a716-000000000003"


def _entry(dataset_id: str, name: str, data_type: str, file: str) -> dict:
    return {
        "id": dataset_id, "organization_id": ORG, "name": name, "description": None, "data_type": data_type,
        "status": "pending", "file": file, "metadata": {}, "date_created": "2025-01-15T10:00:00Z",
        "date_updated": "2025-01-15T10:00:00Z",
    }


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """Write a catalog of a timestamp-jump delivery, a clean one and one no suite covers."""
    jump_dataset(tmp_path / "catalog" / "jump.zip")
    write_dataset(tmp_path / "catalog" / "clean.zip", recording([30, 30], cameras=()))
    document = {
        "organizations": [{"id": ORG, "name": "Acme", "api_keys": [API_KEY]}],
        "datasets": [
            _entry(REJECTED, "Sort screws", "episode", "jump.zip"),
            _entry(ACCEPTED, "Pick cube", "episode", "clean.zip"),
            _entry(NO_SUITE, "Arm log", "telemetry", "clean.zip"),
        ],
    }
    path = tmp_path / "catalog" / "catalog.json"
    path.write_text(json.dumps(document))
    return path


def _settings(api_url: str, webhook_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_settings(api_url=api_url, rules_dir=builtin_rules(tmp_path / "rules"), work_dir=tmp_path / "work",
                         state_dir=tmp_path / "state", webhook_url=webhook_url, max_hold_attempts=1, max_retries=1,
                         retry_max_wait_s=0.2)


def test_run_sends_notices(emulator, catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = emulator(catalog)
    monkeypatch.setenv("GERRA_API_KEY", API_KEY)
    with Receiver() as receiver:
        settings = _settings(server.base_url, receiver.url, tmp_path)
        summary = run_once(settings)
        bodies = receiver.wait_for(2)

    outcomes = {outcome.dataset_id: outcome for outcome in summary.outcomes}
    assert summary.counts() == {"rejected": 1, "accepted": 1, "held": 1}
    assert sorted(body["event"] for body in bodies) == ["dataset_rejected", "dataset_stuck"]
    rejected = next(body for body in bodies if body["event"] == "dataset_rejected")
    stuck = next(body for body in bodies if body["event"] == "dataset_stuck")
    assert rejected["dataset_id"] == REJECTED
    assert rejected["name"] == "Sort screws"
    assert rejected["report_path"] == str(outcomes[REJECTED].report_path.with_suffix(".html"))
    assert Path(rejected["report_path"]).is_file()
    assert "timestamp-step" in rejected["text"]
    assert stuck["dataset_id"] == NO_SUITE
    assert "no rule suite applies" in stuck["reason"]
    assert outcomes[ACCEPTED].report_path.with_suffix(".html").is_file()


def test_later_run_notifies_rejection(
    emulator, catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed after recording a rejection leaves the notice to the run that posts it."""
    server = emulator(catalog)
    monkeypatch.setenv("GERRA_API_KEY", API_KEY)
    with Receiver() as receiver:
        settings = _settings(server.base_url, receiver.url, tmp_path)
        store = StateStore(settings.state_db)
        store.record_intent(Decision(
            REJECTED, "Sort screws", "episode", "reject", "timestamp-step: episode 1 jumps 6 frames", 1, "ab" * 32,
            "digest", "0.1.0", None, utc_now(), "intent", None, None, False,
        ))
        store.close()
        summary = run_once(settings)
        bodies = receiver.wait_for(2)

    assert summary.counts() == {"rejected": 1, "accepted": 1, "held": 1}
    control = ControlClient(server.base_url)
    assert control.dataset(REJECTED)["status"] == "rejected"
    control.close()
    rejected = [body for body in bodies if body["event"] == "dataset_rejected"]
    assert [body["dataset_id"] for body in rejected] == [REJECTED]
    assert rejected[0]["reason"] == "timestamp-step: episode 1 jumps 6 frames"
    assert rejected[0]["report_path"] is None


def test_one_shot_waits_for_notices(emulator, catalog: Path, tmp_path: Path) -> None:
    """`run --once` exits only after each notice gets its response, even from a slow receiver."""
    server = emulator(catalog)
    with Receiver(delay_s=1.0) as receiver:
        env = {
            **{name: value for name, value in os.environ.items() if not name.startswith("GERRA_")},
            "GERRA_API_URL": server.base_url, "GERRA_API_KEY": API_KEY,
            "GERRA_RULES_DIR": str(builtin_rules(tmp_path / "rules")), "GERRA_WORK_DIR": str(tmp_path / "work"),
            "GERRA_STATE_DIR": str(tmp_path / "state"), "GERRA_WEBHOOK_URL": receiver.url,
            "GERRA_MAX_HOLD_ATTEMPTS": "1", "GERRA_LOG_FORMAT": "json", "GX_ANALYTICS_ENABLED": "false",
        }
        done = subprocess.run([sys.executable, "-m", "worker", "run", "--once"], env=env, capture_output=True,
                              text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    sent = sorted(event["event_type"] for event in events if event["event"] == "webhook_sent")
    assert sent == ["dataset_rejected", "dataset_stuck"]
