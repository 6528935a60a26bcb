"""The demo runner: gate environment, outcome table, exit codes, and one full run with the real gate."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gerra_emulator.demo import run as demo_run
from gerra_emulator.demo.entries import demo_id
from gerra_emulator.demo.generate import DEMO_API_KEY
from gerra_emulator.demo.outcome import collect_outcomes, format_table
from gerra_emulator.testing import EmulatorServer

REPO_ROOT = Path(__file__).resolve().parents[2]
PICK_CUBE_ID = demo_id("dataset/so100-pick-cube-week3")
LFS_ID = demo_id("dataset/so100-stack-lfs-pointers")
OTHER_ORG_ID = demo_id("dataset/other-org-pick-cube")
ARCHIVE_SUITE = """\
suite: demo_archive
version: "1"
rules:
  - id: lfs
    check: archive.lfs_pointers
"""


@pytest.fixture
def demo_dir(demo_catalog: Path, tmp_path: Path) -> Path:
    """Copy the session's demo catalog so a run can write its state and log beside it."""
    target = tmp_path / "demo"
    shutil.copytree(demo_catalog.parent, target)
    return target


def _app():
    import typer

    app = typer.Typer()
    app.command()(demo_run.demo)
    return app


def test_gate_environment_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GERRA_DRY_RUN", "true")
    monkeypatch.setenv("GERRA_API_KEY", "gerra_hostkey0000000000001")

    environment = demo_run.gate_environment("http://127.0.0.1:1", tmp_path / "rules", tmp_path / "w", tmp_path / "s")

    gerra = {name: value for name, value in environment.items() if name.startswith("GERRA_")}
    assert gerra == {
        "GERRA_API_URL": "http://127.0.0.1:1",
        "GERRA_API_KEY": DEMO_API_KEY,
        "GERRA_RULES_DIR": str(tmp_path / "rules"),
        "GERRA_WORK_DIR": str(tmp_path / "w"),
        "GERRA_STATE_DIR": str(tmp_path / "s"),
    }
    assert environment["GX_ANALYTICS_ENABLED"] == "false"


def test_outcomes_from_emulator(demo_dir: Path) -> None:
    catalog = demo_dir / "catalog.json"
    report = demo_dir / "state" / "reports" / LFS_ID / "20250101T000000Z.json"
    report.parent.mkdir(parents=True)
    report.write_text("{}")
    with sqlite3.connect(demo_dir / "state" / "gate.sqlite3") as connection:
        connection.execute("CREATE TABLE decisions (dataset_id TEXT, report_path TEXT)")
        connection.execute("INSERT INTO decisions VALUES (?, ?)", (LFS_ID, str(report)))

    with EmulatorServer(catalog) as server:
        organization = server.store.dataset(PICK_CUBE_ID).organization_id
        server.store.accept(organization, PICK_CUBE_ID)
        server.store.reject(organization, LFS_ID, "10 of 15 members are Git LFS pointer files")
        outcomes = {o.dataset_id: o for o in collect_outcomes(catalog, server.store, demo_dir / "state", demo_dir)}

    assert len(outcomes) == 17
    assert (outcomes[PICK_CUBE_ID].status_before, outcomes[PICK_CUBE_ID].status_after) == ("pending", "accepted")
    assert outcomes[PICK_CUBE_ID].as_expected
    assert outcomes[LFS_ID].rejection_reason == "10 of 15 members are Git LFS pointer files"
    assert outcomes[LFS_ID].as_expected
    assert outcomes[LFS_ID].report == f"state/reports/{LFS_ID}/20250101T000000Z.json"
    assert outcomes[OTHER_ORG_ID].as_expected
    assert sum(o.as_expected for o in outcomes.values()) == 7
    table = format_table(list(outcomes.values()))
    assert len(table.splitlines()) == 2 + 17 + 4
    assert "rejected (differs)" in table


def test_outcome_reason_lacks_word(demo_dir: Path) -> None:
    catalog = demo_dir / "catalog.json"
    with EmulatorServer(catalog) as server:
        organization = server.store.dataset(LFS_ID).organization_id
        server.store.reject(organization, LFS_ID, "10 of 15 members are pointer files")
        outcomes = {o.dataset_id: o for o in collect_outcomes(catalog, server.store, demo_dir / "state", demo_dir)}

    assert outcomes[LFS_ID].missing_reason_words == ("LFS",)
    assert not outcomes[LFS_ID].as_expected


def test_demo_gate_missing_exit(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_run, "gate_command", lambda: None)

    result = CliRunner().invoke(_app(), ["--dir", str(demo_dir), "--port", "0"])

    assert result.exit_code == demo_run.EXIT_GATE_MISSING
    assert "gerra-gate" in result.output


def test_demo_gate_failure_exit(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fake gate: a Python one-liner that fails. It keeps this test independent
    # of the rule suites. The full run below uses the real gate.
    fake_gate = [sys.executable, "-c", "import sys; print('gate broke'); sys.exit(5)"]
    monkeypatch.setattr(demo_run, "gate_command", lambda: fake_gate)

    result = CliRunner().invoke(_app(), ["--dir", str(demo_dir), "--port", "0"])

    assert result.exit_code == demo_run.EXIT_GATE_FAILED
    assert "exit code 5" in result.output
    assert "gate broke" in result.output
    assert result.output.count("pending ") >= 13
    assert (demo_dir / "gate.log").read_text() == "gate broke\n"


@pytest.mark.slow
def test_demo_full_run(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "archive.yaml").write_text(ARCHIVE_SUITE)

    completed = subprocess.run(
        [sys.executable, "-m", "gerra_emulator.demo.run", "--dir", str(tmp_path / "demo"), "--port", "0",
         "--rules", str(rules)],
        capture_output=True, text=True, timeout=300, cwd=REPO_ROOT, check=False,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    expected = json.loads((tmp_path / "demo" / "expected.json").read_text())
    assert len(expected["final_status"]) == 17
    rows = [line for line in completed.stdout.splitlines() if "  episode  " in line or "  synthetic_" in line or "  telemetry  " in line]
    assert len(rows) == 17
    lfs_row = next(line for line in rows if line.startswith("SO-100 arm: stack the cups"))
    assert "  pending           rejected  " in lfs_row
    other_row = next(line for line in rows if line.startswith("Another organisation"))
    assert "  pending           pending  " in other_row
    assert "Git LFS pointer" in completed.stdout


def test_demo_keep_serving_stops(demo_dir: Path) -> None:
    # A fake gate that succeeds at once, in a child process started with SIGINT
    # ignored as a shell's background job is, so only the explicit handlers
    # can stop it.
    script = (
        "import signal, sys\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "from gerra_emulator.demo import run\n"
        "run.gate_command = lambda: [sys.executable, '-c', 'pass']\n"
        f"sys.argv = ['run', '--dir', {str(demo_dir)!r}, '--port', '0', '--keep-serving']\n"
        "run.main()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        url = next(line for line in lines if "keeps serving at" in line).split("at ")[1].split(";")[0]
        assert httpx.get(f"{url}/health", timeout=5).json() == {"status": "healthy"}

        process.send_signal(signal.SIGINT)

        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        process.wait()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health", timeout=2)
