"""`gerra-gate history` and `show` over a state store filled through the store API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from worker.cli import app
from worker.state import Decision, StateStore

ACCEPTED = "11111111-0000-0000-0000-000000000001"
REJECTED = "11111111-0000-0000-0000-000000000002"
DRY_RUN = "11111111-0000-0000-0000-000000000003"
STUCK = "11111111-0000-0000-0000-000000000004"


def _decision(dataset_id: str, verdict: str, decided_at: str, **fields) -> Decision:
    values = dict(
        dataset_id=dataset_id, name=f"set {dataset_id[-1]}", data_type="episode", verdict=verdict, reason=None,
        failed_checks=0, archive_sha256="ab" * 32, rules_digest="cd" * 32, gate_version="0.1.0", report_path=None,
        decided_at=decided_at, post_state="intent", posted_at=None, observed_status=None, dry_run=False,
    )
    values.update(fields)
    return Decision(**values)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """Fill a store with an accept, a reject with reports, a dry run and a stuck dataset."""
    state = tmp_path / "state"
    report = state / "reports" / REJECTED / "20250115T120000000000Z.json"
    report.parent.mkdir(parents=True)
    report.write_text("{}")
    report.with_suffix(".html").write_text("<!DOCTYPE html>")

    store = StateStore(state / "gate.sqlite3")
    try:
        for dataset_id in (ACCEPTED, REJECTED, DRY_RUN, STUCK):
            store.record_seen(dataset_id, f"set {dataset_id[-1]}", "telemetry" if dataset_id == DRY_RUN else "episode")
        store.record_intent(_decision(ACCEPTED, "accept", "2025-01-15T10:00:00Z"))
        store.record_post(ACCEPTED, "posted", "accepted")
        store.record_intent(_decision(REJECTED, "reject", "2025-01-15T12:00:00Z", failed_checks=2,
                                      reason="2 of 9 checks failed", report_path=str(report)))
        store.record_post(REJECTED, "posted", "rejected")
        store.record_intent(_decision(DRY_RUN, "accept", "2025-01-15T11:00:00Z", data_type="telemetry", dry_run=True))
        for _ in range(3):
            attempt = store.start_attempt(STUCK)
            store.finish_attempt(attempt, "held", "ConnectError: connection refused", None)
            store.record_hold(STUCK, "ConnectError: connection refused", 0.0, max_holds=3)
    finally:
        store.close()
    return state


def _run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_history_table(state_dir: Path) -> None:
    result = _run("history", "--state-dir", str(state_dir))
    lines = result.output.splitlines()
    assert result.exit_code == 0, result.output
    assert lines[0].startswith("decided at")
    assert [line.split()[1] for line in lines[1:]] == [REJECTED, DRY_RUN, ACCEPTED]
    assert lines[1].split()[3:6] == ["reject", "2", "posted"]
    assert "dry run" in lines[2]


def test_history_verdict_filter(state_dir: Path) -> None:
    result = _run("history", "--state-dir", str(state_dir), "--verdict", "accept")
    assert result.exit_code == 0, result.output
    assert [line.split()[1] for line in result.output.splitlines()[1:]] == [DRY_RUN, ACCEPTED]


def test_history_since_and_type(state_dir: Path) -> None:
    result = _run("history", "--state-dir", str(state_dir), "--since", "2025-01-15T10:30:00Z", "--data-type", "episode")
    assert result.exit_code == 0, result.output
    assert [line.split()[1] for line in result.output.splitlines()[1:]] == [REJECTED]


def test_history_json(state_dir: Path) -> None:
    result = _run("history", "--state-dir", str(state_dir), "--json")
    rows = json.loads(result.output)
    assert result.exit_code == 0
    assert [row["dataset_id"] for row in rows] == [REJECTED, DRY_RUN, ACCEPTED]
    assert rows[0]["reason"] == "2 of 9 checks failed"
    assert rows[1]["dry_run"] is True


def test_history_empty(tmp_path: Path) -> None:
    result = _run("history", "--state-dir", str(tmp_path / "empty"))
    assert result.exit_code == 0
    assert result.output == "no decisions recorded yet\n"


def test_show_reports(state_dir: Path) -> None:
    result = _run("show", REJECTED, "--state-dir", str(state_dir))
    fields = dict(line.split(":", 1) for line in result.output.splitlines() if not line.startswith(" "))
    report = state_dir / "reports" / REJECTED / "20250115T120000000000Z.json"
    assert result.exit_code == 0, result.output
    assert fields["verdict"].strip() == "reject (posted)"
    assert fields["reason"].strip() == "2 of 9 checks failed"
    assert fields["report"].strip() == str(report)
    assert fields["html"].strip() == str(report.with_suffix(".html"))


def test_show_without_html(state_dir: Path) -> None:
    result = _run("show", ACCEPTED, "--state-dir", str(state_dir))
    assert result.exit_code == 0, result.output
    assert "html:" not in result.output
    assert "verdict:   accept (posted)" in result.output


def test_show_json(state_dir: Path) -> None:
    result = _run("show", REJECTED, "--state-dir", str(state_dir), "--json")
    document = json.loads(result.output)
    assert result.exit_code == 0
    assert document["decision"]["verdict"] == "reject"
    assert document["html_report"].endswith(f"{REJECTED}/20250115T120000000000Z.html")
    assert document["attempts"] == []
    assert document["hold"]["holds"] == 0


def test_show_stuck(state_dir: Path) -> None:
    result = _run("show", STUCK, "--state-dir", str(state_dir))
    assert result.exit_code == 0, result.output
    assert "holds:     3 (stuck); last cause: ConnectError: connection refused" in result.output
    assert "attempts:  3" in result.output
    assert result.output.count("held  ConnectError: connection refused") == 3


def test_show_stuck_json(state_dir: Path) -> None:
    document = json.loads(_run("show", STUCK, "--state-dir", str(state_dir), "--json").output)
    assert document["decision"] is None
    assert document["html_report"] is None
    assert document["hold"]["stuck"] is True
    assert [a["outcome"] for a in document["attempts"]] == ["held"] * 3


def test_show_unknown(state_dir: Path) -> None:
    result = _run("show", "no-such-id", "--state-dir", str(state_dir))
    assert result.exit_code == 1
    assert "no record of dataset no-such-id" in result.output
