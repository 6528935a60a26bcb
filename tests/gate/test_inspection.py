"""Inspection in a child process: results come back, hangs and crashes hold."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from worker.checks.context import DatasetInfo
from worker.inspection import InspectionRequest, inspect_in_child
from worker.rules.loader import load_rule_set
from worker.verdict import Verdict

REPO_ROOT = Path(__file__).resolve().parents[2]


def _request(real_datasets_dir: Path, tmp_path: Path, name: str, data_type: str, **metadata) -> InspectionRequest:
    return InspectionRequest(
        archive=real_datasets_dir / name,
        dataset=DatasetInfo(id="local", name=name, data_type=data_type, metadata=metadata),
        rule_set=load_rule_set(REPO_ROOT / "rules"),
        work_dir=tmp_path,
    )


def test_child_returns_rejection(real_datasets_dir: Path, tmp_path: Path) -> None:
    request = _request(real_datasets_dir, tmp_path, "cockatoo-pov.zip", "synthetic_third_person", duration_seconds=5.0)
    inspection = inspect_in_child(request, hard_timeout_s=300)
    assert inspection.evaluation.verdict is Verdict.REJECT
    failed_rules = {r.rule for r in inspection.evaluation.failures}
    assert "duration-matches-metadata" in failed_rules
    assert failed_rules <= {"duration-matches-metadata", "metadata-consistency"}
    assert inspection.archive["members"] == 2


def test_timeout_kills_child_and_holds(real_datasets_dir: Path, tmp_path: Path) -> None:
    request = _request(real_datasets_dir, tmp_path, "g1-pick-bottle-v21.zip", "episode")
    started = time.monotonic()
    inspection = inspect_in_child(request, hard_timeout_s=0.2)
    assert time.monotonic() - started < 30
    assert inspection.evaluation.verdict is Verdict.HOLD
    assert "did not finish within" in (inspection.evaluation.hold_cause or "")
    assert multiprocessing.active_children() == []


def test_killed_child_holds(real_datasets_dir: Path, tmp_path: Path) -> None:
    request = _request(real_datasets_dir, tmp_path, "g1-pick-bottle-v21.zip", "episode")

    def kill_child() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            children = [c for c in multiprocessing.active_children() if c.name == "gate-inspection"]
            if children and children[0].pid:
                time.sleep(0.3)
                os.kill(children[0].pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_child)
    killer.start()
    inspection = inspect_in_child(request, hard_timeout_s=300)
    killer.join()
    assert inspection.evaluation.verdict is Verdict.HOLD
    assert "died" in (inspection.evaluation.hold_cause or "")


def test_child_logs_like_parent(real_datasets_dir: Path, tmp_path: Path) -> None:
    """The child's events go to stderr in the parent's format and level, so `check --json` prints clean JSON."""
    env = {**os.environ, "GERRA_LOG_FORMAT": "json", "GERRA_LOG_LEVEL": "INFO", "GX_ANALYTICS_ENABLED": "false"}
    args = [sys.executable, "-m", "worker", "check", str(real_datasets_dir / "new-test-lfs-stubs.zip"),
            "--data-type", "episode", "--rules", str(REPO_ROOT / "rules"), "--json"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)

    assert json.loads(done.stdout)["verdict"] == "reject"
    events = [json.loads(line) for line in done.stderr.splitlines()]
    # archive_opened is logged only inside the child process.
    assert "archive_opened" in {event["event"] for event in events}
    assert {event["level"] for event in events} <= {"info", "warning", "error"}
