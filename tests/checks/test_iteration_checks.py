"""The iterations.* built-in checks on version histories as dicts, as client models and from the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from worker.archive.source import open_source
from worker.checks.context import CheckContext, DatasetInfo
from worker.checks.registry import get_check
from worker.checks.results import CheckResult, Status, failed, passed
from worker.gerra.client import GerraClient
from worker.gerra.models import IterationHistory
from worker.video.synthetic import noise_frames, write_clip
from workdirs import work_dir_for

V0 = "770e8400-e29b-41d4-a716-446655440005"
V1 = "770e8400-e29b-41d4-a716-446655440004"


def history(download_url: str = "https://storage.example.com/v1.zip?token=secret123") -> dict[str, Any]:
    """Return the cockatoo clip's two versions as the API sends them."""
    return {
        "iteration_group_id": "880e8400-e29b-41d4-a716-446655440000",
        "total_versions": 2,
        "latest_version": 1,
        "iterations": [
            {
                "dataset_id": V1,
                "version": 1,
                "status": "pending",
                "created_at": "2025-01-12T14:30:00Z",
                "prompt": "Cockatoo on a perch, first-person view, natural light",
                "parent_dataset_id": V0,
                "regeneration_reason": "Background inconsistency",
                "superseded_reason": None,
                "download_url": download_url,
                "metadata": {"duration_seconds": 14.0},
            },
            {
                "dataset_id": V0,
                "version": 0,
                "status": "superseded",
                "created_at": "2025-01-10T10:00:00Z",
                "prompt": "Cockatoo on a perch, first-person view",
                "parent_dataset_id": None,
                "regeneration_reason": None,
                "superseded_reason": "Background inconsistency",
                "download_url": download_url,
                "metadata": {"duration_seconds": 14.0},
            },
        ],
    }


def run(
    name: str,
    root: Path,
    *,
    dataset_id: str = V1,
    iterations: Any = None,
    metadata: dict[str, Any] | None = None,
    cache: dict[str, Any] | None = None,
    **args: Any,
) -> CheckResult:
    spec = get_check(name)
    assert spec is not None, f"{name} is not registered"
    work_dir = work_dir_for(root)
    with open_source(root, work_dir) as source:
        ctx = CheckContext(
            source=source,
            dataset=DatasetInfo(id=dataset_id, name="clip", data_type="synthetic_pov", metadata=metadata or {}),
            work_dir=work_dir,
            iterations=iterations,
            cache=cache if cache is not None else {},
        )
        results = spec.function(ctx, spec.args_model(**args))
    assert len(results) == 1
    return results[0]


@pytest.fixture
def clip_dir(tmp_path: Path) -> Path:
    """Return a dataset folder with one 3 s clip at 10 fps."""
    root = tmp_path / "d"
    write_clip(root / "video.mp4", noise_frames(30), fps=10)
    return root


def parent_failed_duration() -> dict[str, Any]:
    verdict = failed("video.duration_matches_metadata", "video.mp4 duration 3.00 s, metadata duration_seconds 9.0 s")
    return {"prior_results": {V0: [verdict.to_dict(), passed("video.decodes").to_dict()]}}


# ---------------------------------------------------------- iterations.history_summary


def test_summary_no_history(clip_dir: Path) -> None:
    result = run("iterations.history_summary", clip_dir)
    assert result.status is Status.SKIPPED


def test_summary_from_dict(clip_dir: Path) -> None:
    result = run("iterations.history_summary", clip_dir, iterations=history())
    assert result.status is Status.PASSED
    assert result.total_count == 2
    assert result.message == (
        "version 1 of 2; v0 (superseded) superseded because: Background inconsistency; "
        "v1 (pending) regenerated because: Background inconsistency"
    )
    assert [v["version"] for v in result.details["versions"]] == [0, 1]
    assert result.details["current_version"] == 1


def test_summary_from_model(clip_dir: Path) -> None:
    model = IterationHistory.model_validate(history())
    result = run("iterations.history_summary", clip_dir, iterations=model)
    assert result.status is Status.PASSED
    assert result.details["versions"][1]["created_at"].startswith("2025-01-12 14:30:00")
    assert "secret123" not in json.dumps(result.to_dict(), default=str)


def test_summary_other_dataset(clip_dir: Path) -> None:
    result = run("iterations.history_summary", clip_dir, iterations=history(), dataset_id="someone-else")
    assert result.status is Status.PASSED
    assert result.message.startswith("not among the 2 versions")


# -------------------------------------------------- iterations.regeneration_addresses_parent


def test_regen_no_history(clip_dir: Path) -> None:
    result = run("iterations.regeneration_addresses_parent", clip_dir, checks=["video.decodes"])
    assert result.status is Status.SKIPPED


def test_regen_first_version(clip_dir: Path) -> None:
    result = run("iterations.regeneration_addresses_parent", clip_dir, dataset_id=V0, iterations=history(),
                 checks=["video.decodes"])
    assert result.status is Status.SKIPPED
    assert "version 0 has no parent version" in result.message


def test_regen_no_prior(clip_dir: Path) -> None:
    result = run("iterations.regeneration_addresses_parent", clip_dir, iterations=history(), checks=["video.decodes"])
    assert result.status is Status.SKIPPED
    assert f"no recorded verdict of the parent version {V0}" in result.message


def test_regen_fixed(clip_dir: Path) -> None:
    result = run(
        "iterations.regeneration_addresses_parent",
        clip_dir,
        iterations=history(),
        metadata={"duration_seconds": 3.0},
        cache=parent_failed_duration(),
        checks=["video.duration_matches_metadata", "video.decodes"],
    )
    assert result.status is Status.PASSED
    assert result.total_count == 1
    assert result.details["parent_failed"] == ["video.duration_matches_metadata"]
    assert result.message == (
        "v1 (regenerated because: Background inconsistency) passes the 1 check its parent failed: "
        "video.duration_matches_metadata"
    )


def test_regen_still_failing(clip_dir: Path) -> None:
    result = run(
        "iterations.regeneration_addresses_parent",
        clip_dir,
        iterations=history(),
        metadata={"duration_seconds": 9.0},
        cache=parent_failed_duration(),
        checks=["video.duration_matches_metadata"],
    )
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.message.startswith(
        "v1 (regenerated because: Background inconsistency) still fails 1 of the 1 check its parent failed: "
        "video.duration_matches_metadata (1 of 1 videos differ from the metadata duration"
    )


def test_regen_check_args(clip_dir: Path) -> None:
    result = run(
        "iterations.regeneration_addresses_parent",
        clip_dir,
        iterations=history(),
        metadata={"duration_seconds": 9.0},
        cache=parent_failed_duration(),
        checks=["video.duration_matches_metadata"],
        check_args={"video.duration_matches_metadata": {"tolerance_s": 7.0}},
    )
    assert result.status is Status.PASSED


def test_regen_current_results(clip_dir: Path) -> None:
    cache = {
        "prior_results": {V0: [{"check": "expectation", "rule": "no-nulls", "status": "failed", "message": "12 nulls"}]},
        "current_results": [failed("expectation", "3 nulls", rule="no-nulls")],
    }
    result = run("iterations.regeneration_addresses_parent", clip_dir, iterations=history(), cache=cache,
                 checks=["no-nulls"])
    assert result.status is Status.FAILED
    assert "no-nulls (3 nulls)" in result.message


def test_regen_not_run(clip_dir: Path) -> None:
    cache = {"prior_results": {V0: [{"rule": "no-nulls", "status": "failed", "message": "12 nulls"}]}}
    result = run("iterations.regeneration_addresses_parent", clip_dir, iterations=history(), cache=cache,
                 checks=["no-nulls"])
    assert result.status is Status.SKIPPED
    assert result.message.startswith("no-nulls did not run on v1")


def test_regen_error(clip_dir: Path) -> None:
    cache = {
        "prior_results": {V0: [{"rule": "no-nulls", "status": "failed"}]},
        "current_results": [{"rule": "no-nulls", "status": "error", "message": "timed out"}],
    }
    result = run("iterations.regeneration_addresses_parent", clip_dir, iterations=history(), cache=cache,
                 checks=["no-nulls"])
    assert result.status is Status.ERROR


def test_regen_parent_passed(clip_dir: Path) -> None:
    result = run("iterations.regeneration_addresses_parent", clip_dir, iterations=history(),
                 cache=parent_failed_duration(), checks=["video.decodes"])
    assert result.status is Status.PASSED
    assert result.total_count == 0


# ---------------------------------------------------------------- real deliveries


def test_real_history_emulator(real_emulator: Any, real_datasets_dir: Path, tmp_path: Path) -> None:
    catalog = json.loads((real_datasets_dir / "catalog.json").read_text())
    api_key = catalog["organizations"][0]["api_keys"][0]
    with GerraClient(real_emulator.base_url, api_key) as client:
        iterations = client.iterations(V1)
    archive = real_datasets_dir / "cockatoo-pov.zip"
    summary = run("iterations.history_summary", archive, iterations=iterations, metadata={"duration_seconds": 14.0})
    assert summary.status is Status.PASSED
    assert summary.details["current_version"] == 1
    assert [v["dataset_id"] for v in summary.details["versions"]] == [V0, V1]
    assert "v0 (superseded) superseded because: Background inconsistency" in summary.message
    regeneration = run(
        "iterations.regeneration_addresses_parent",
        archive,
        iterations=iterations,
        metadata={"duration_seconds": 14.0},
        cache=parent_failed_duration(),
        checks=["video.duration_matches_metadata"],
    )
    assert regeneration.status is Status.PASSED
