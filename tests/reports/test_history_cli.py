"""`gerra-gate history` and `show` over a state store filled through the store API."""

from __future__ import annotations

import json
import re
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


def _plain(output: str) -> str:
    """Join the text of rich's error box into one line."""
    return " ".join(output.replace("│", " ").split())


def _listed(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.split()[1] for line in result.output.splitlines()[1:]]


@pytest.mark.parametrize(("since", "expected"), [
    ("2025-01-15 11:30", [REJECTED]),
    ("2025-01-15T12:30:00+02:00", [REJECTED, DRY_RUN]),
    ("2025-01-15T11:00:00.5Z", [REJECTED]),
    ("2025-01-15T11:00:00Z", [REJECTED, DRY_RUN]),
    ("2025-01-15", [REJECTED, DRY_RUN, ACCEPTED]),
])
def test_history_since_as_time(state_dir: Path, since: str, expected: list[str]) -> None:
    result = _run("history", "--state-dir", str(state_dir), "--since", since)
    assert result.exit_code == 0, result.output
    assert _listed(result) == expected


def test_history_since_unparseable(state_dir: Path) -> None:
    result = _run("history", "--state-dir", str(state_dir), "--since", "yesterday")
    assert result.exit_code == 2
    assert "'yesterday' is not an ISO 8601 time; write e.g. 2026-12-05T00:30:00+02:00" in _plain(result.output)


@pytest.mark.parametrize("verdict", ["hold", "rejected"])
def test_history_unknown_verdict(state_dir: Path, verdict: str) -> None:
    result = _run("history", "--state-dir", str(state_dir), "--verdict", verdict)
    assert result.exit_code == 2
    assert f"'{verdict}' is not one of 'accept', 'reject', 'none'" in _plain(result.output)


def test_history_verdict_any_case(state_dir: Path) -> None:
    result = _run("history", "--state-dir", str(state_dir), "--verdict", "Accept")
    assert result.exit_code == 0, result.output
    assert _listed(result) == [DRY_RUN, ACCEPTED]


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_history_limit_below_one(state_dir: Path, limit: str) -> None:
    result = _run("history", "--state-dir", str(state_dir), "--limit", limit)
    assert result.exit_code == 2
    assert "Invalid value for '--limit': Input should be greater than or equal to 1" in _plain(result.output)


def test_history_no_match(state_dir: Path) -> None:
    result = _run("history", "--state-dir", str(state_dir), "--verdict", "none")
    assert result.exit_code == 0
    assert result.output == "no decisions match these filters\n"


@pytest.mark.parametrize("command", [["history"], ["show", ACCEPTED]])
def test_missing_state_database(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "typo"
    result = _run(*command, "--state-dir", str(missing))
    assert result.exit_code == 2
    assert result.output == (
        f"error: no state database at {missing / 'gate.sqlite3'}; pass the --state-dir (or GERRA_STATE_DIR) "
        "that gerra-gate run uses\n"
    )
    assert not missing.exists()


def test_history_state_dir_under_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = _run("history", "--state-dir", str(tmp_path / "file" / "state"))
    assert result.exit_code == 2
    assert result.output.startswith("error: no state database at ")


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


def test_show_hold_time_iso(state_dir: Path) -> None:
    stuck = json.loads(_run("show", STUCK, "--state-dir", str(state_dir), "--json").output)
    accepted = json.loads(_run("show", ACCEPTED, "--state-dir", str(state_dir), "--json").output)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stuck["hold"]["next_attempt_at"])
    assert accepted["hold"]["next_attempt_at"] is None


def test_show_unknown_json(state_dir: Path) -> None:
    result = _run("show", "nope", "--state-dir", str(state_dir), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": "not_found", "message": f"no record of dataset nope in {state_dir / 'gate.sqlite3'}",
    }


def test_show_unknown(state_dir: Path) -> None:
    result = _run("show", "no-such-id", "--state-dir", str(state_dir))
    assert result.exit_code == 1
    assert "no record of dataset no-such-id" in result.output
