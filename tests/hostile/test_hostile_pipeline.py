"""Hostile archives through the whole gate: served by the emulator, gated by `run_once`.

All cases share one catalog and one run, gated under a monitor that tracks
the peak memory of every inspection process and the peak size of the work
folder. Each case then has its own test of its verdict and reason.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gerra_emulator.testing import EmulatorServer
from worker.runner import RunSummary, run_once
from worker.settings import load_settings

from .cases import ABSOLUTE_TARGET, ESCAPE_NAME, GIB, MAX_MEMBERS, HostileCase, build_cases
from .peak_memory import PeakMonitor

REPO_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "gerra_hostile_key_51c0"
ORG_ID = "5e5e5e5e-0000-4000-8000-000000000001"
_NAMESPACE = uuid.UUID("9d7c1b52-4a39-4f3e-a1c2-5b2f9e0c7d11")
CASES = build_cases()
# An inspection process with great-expectations, Arrow and FFmpeg loaded peaks
# at a few hundred MiB; one that inflated a bomb would pass 1 GiB.
MAX_PEAK_RSS = GIB
MAX_WORK_BYTES = 64 * 1024**2
MAX_CHECK_S = 30.0


def case_id(case: HostileCase) -> str:
    return str(uuid.uuid5(_NAMESPACE, case.slug))


@dataclass
class HostileRun:
    """What one gate run over every hostile case left behind."""

    root: Path
    summary: RunSummary
    datasets: dict[str, dict[str, Any]]
    decisions: dict[str, Any]
    monitor: PeakMonitor
    elapsed_s: float


def _write_catalog(folder: Path) -> Path:
    entries = []
    for index, case in enumerate(CASES):
        case.build(folder / "archives" / f"{case.slug}.zip")
        stamp = f"2025-03-01T08:{index:02d}:00Z"
        entries.append({
            "id": case_id(case), "organization_id": ORG_ID, "name": case.slug, "description": None,
            "data_type": case.data_type, "status": "pending", "file": f"archives/{case.slug}.zip",
            "metadata": case.metadata, "date_created": stamp, "date_updated": stamp,
        })
    document = {"organizations": [{"id": ORG_ID, "name": "Hostile Robotics", "api_keys": [API_KEY]}],
                "datasets": entries}
    path = folder / "catalog.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    root = tmp_path_factory.mktemp("hostile")
    catalog = _write_catalog(root / "catalog")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("GERRA_"):
                patch.delenv(name)
        patch.setenv("GX_ANALYTICS_ENABLED", "false")
        with EmulatorServer(catalog) as server:
            settings = load_settings(
                api_url=server.base_url, api_key=API_KEY, rules_dir=REPO_ROOT / "rules",
                work_dir=root / "work", state_dir=root / "state", max_members=MAX_MEMBERS,
                max_retries=1, retry_max_wait_s=0.2,
            )
            started = time.monotonic()
            with PeakMonitor(root / "work") as monitor:
                summary = run_once(settings)
            elapsed = time.monotonic() - started
            datasets = {case.slug: server.store.dataset(case_id(case)).to_dict() for case in CASES}
    from worker.state import StateStore

    store = StateStore(root / "state" / "gate.sqlite3")
    try:
        decisions = {row["dataset_id"]: row for row in store.export()["decisions"]}
    finally:
        store.close()
    print(f"hostile run: {elapsed:.1f} s, peak inspection RSS {monitor.peak_rss / 2**20:.0f} MiB "
          f"over {len(monitor.processes_seen)} processes, peak work folder {monitor.peak_folder_bytes / 2**20:.1f} MiB")
    return HostileRun(root, summary, datasets, decisions, monitor, elapsed)


def _param(case: HostileCase) -> Any:
    return pytest.param(case, id=case.slug)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_hostile_verdict(hostile_run: HostileRun, case: HostileCase) -> None:
    dataset = hostile_run.datasets[case.slug]
    expected_status = {"accept": "accepted", "reject": "rejected"}[case.verdict]
    assert dataset["status"] == expected_status, hostile_run.decisions.get(case_id(case))
    decision = hostile_run.decisions[case_id(case)]
    assert decision["verdict"] == case.verdict
    assert decision["post_state"] == "posted"
    if case.verdict == "reject":
        reason = dataset["metadata"]["rejection_reason"]
        assert reason == decision["reason"]
        for words in case.reason_words:
            assert words in reason, reason


def test_hostile_nothing_written_outside(hostile_run: HostileRun) -> None:
    assert not Path(ABSOLUTE_TARGET).exists()
    assert not Path(ABSOLUTE_TARGET).parent.exists()
    escaped = [path for path in hostile_run.root.parent.rglob(ESCAPE_NAME)]
    assert escaped == []
    assert not (Path.cwd() / ESCAPE_NAME).exists()
    assert sorted(entry.name for entry in hostile_run.root.iterdir()) == ["catalog", "state", "work"]
    assert list((hostile_run.root / "work").iterdir()) == []


def test_hostile_memory_bounded(hostile_run: HostileRun) -> None:
    monitor = hostile_run.monitor
    # One inspection process per dataset, plus the fork server.
    assert len(monitor.processes_seen) >= len(CASES)
    assert 0 < monitor.peak_rss < MAX_PEAK_RSS
    assert monitor.peak_folder_bytes < MAX_WORK_BYTES


def test_hostile_time_bounded(hostile_run: HostileRun) -> None:
    assert len(hostile_run.summary.outcomes) == len(CASES)
    # A held dataset's outcome has no timings; the whole run's time bounds it.
    checked = [outcome for outcome in hostile_run.summary.outcomes if "checks" in outcome.timings_s]
    slow = {outcome.dataset_id: outcome.timings_s["checks"] for outcome in checked
            if outcome.timings_s["checks"] > MAX_CHECK_S}
    assert slow == {}
    assert hostile_run.elapsed_s < len(CASES) * MAX_CHECK_S
