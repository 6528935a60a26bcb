"""The metadata.* built-in checks on small datasets built in the test and on the real catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from worker.archive.source import open_source
from worker.checks.context import CheckContext, DatasetInfo
from worker.checks.registry import get_check
from worker.checks.results import CheckResult, Status
from worker.video.synthetic import noise_frames, write_clip
from workdirs import work_dir_for

DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"


def run(name: str, root: Path, metadata: dict[str, Any], **args: Any) -> CheckResult:
    spec = get_check(name)
    assert spec is not None, f"{name} is not registered"
    work_dir = work_dir_for(root)
    with open_source(root, work_dir) as source:
        ctx = CheckContext(
            source=source,
            dataset=DatasetInfo(id="m1", name="m1", data_type="episode", metadata=metadata),
            work_dir=work_dir,
        )
        results = spec.function(ctx, spec.args_model(**args))
    assert len(results) == 1
    return results[0]


def lerobot(root: Path, lengths: list[int], *, total_episodes: int | None = None, fps: int = 10, data_files: int | None = None) -> Path:
    """Build a v2.1 layout with `lengths` episodes, its episodes.jsonl and `data_files` data files."""
    (root / "meta").mkdir(parents=True)
    info = {
        "codebase_version": "v2.1",
        "robot_type": "so101_follower",
        "fps": fps,
        "total_episodes": len(lengths) if total_episodes is None else total_episodes,
        "total_frames": sum(lengths),
        "data_path": DATA_PATH,
        "features": {"timestamp": {"dtype": "float32", "shape": [1], "names": None}},
    }
    (root / "meta" / "info.json").write_text(json.dumps(info))
    lines = [json.dumps({"episode_index": i, "tasks": ["t"], "length": n}) for i, n in enumerate(lengths)]
    (root / "meta" / "episodes.jsonl").write_text("\n".join(lines) + "\n")
    for index in range(len(lengths) if data_files is None else data_files):
        path = root / DATA_PATH.format(episode_chunk=0, episode_index=index)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"timestamp": [0.0]}), path)
    return root


# ------------------------------------------------------------ metadata.consistency


def test_consistency_pass(tmp_path: Path) -> None:
    root = lerobot(tmp_path / "d", [10, 20, 30])
    metadata = {"episodes": 3, "robot_type": "SO101_Follower", "duration_seconds": 6.0, "fps": 10, "location": "lab"}
    result = run("metadata.consistency", root, metadata)
    assert result.status is Status.PASSED
    assert result.total_count == 6
    assert result.failed_count == 0
    assert result.message == "metadata agrees with the content on episodes 3, robot_type 'SO101_Follower', duration_seconds 6 s, fps 10 fps"


def test_consistency_episodes(tmp_path: Path) -> None:
    root = lerobot(tmp_path / "d", [10, 20, 30], total_episodes=4, data_files=2)
    result = run("metadata.consistency", root, {"episode_count": 3})
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 3
    assert "metadata episode_count 3, meta/info.json total_episodes 4" in result.message
    assert "metadata episode_count 3, episode data files 2" in result.message


def test_consistency_robot(tmp_path: Path) -> None:
    root = lerobot(tmp_path / "d", [10])
    result = run("metadata.consistency", root, {"robot_type": "ur5"})
    assert result.status is Status.FAILED
    assert result.message == (
        "1 of 1 metadata facts disagree with the content: "
        "metadata robot_type 'ur5', meta/info.json robot_type 'so101_follower'"
    )
    assert result.examples[0].column == "robot_type"


def test_consistency_duration(tmp_path: Path) -> None:
    root = lerobot(tmp_path / "d", [10, 20, 30])
    failing = run("metadata.consistency", root, {"duration_seconds": 7.0})
    passing = run("metadata.consistency", root, {"duration_seconds": 7.0}, duration_tolerance_s=1.0)
    assert failing.status is Status.FAILED
    assert "metadata duration_seconds 7 s, episode frames / fps (60 / 10) 6 s" in failing.message
    assert passing.status is Status.PASSED


def test_consistency_video(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "clip.mp4", noise_frames(30), fps=10)
    failing = run("metadata.consistency", root, {"duration_seconds": 5.0, "fps": 10})
    assert failing.status is Status.FAILED
    assert failing.failed_count == 1
    assert failing.total_count == 2
    assert "metadata duration_seconds 5 s, clip.mp4 duration 3 s" in failing.message
    assert run("metadata.consistency", root, {"duration_seconds": 3.2}).status is Status.PASSED


def test_consistency_not_number(tmp_path: Path) -> None:
    root = lerobot(tmp_path / "d", [10])
    result = run("metadata.consistency", root, {"episodes": "one"})
    assert result.status is Status.FAILED
    assert "metadata episodes 'one', meta/info.json total_episodes 1" in result.message


def test_consistency_nothing_shared(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    (root / "notes.txt").write_text("x")
    result = run("metadata.consistency", root, {"episodes": 3, "robot_type": "ur5"})
    assert result.status is Status.SKIPPED


def test_consistency_real_catalog(real_datasets_dir: Path) -> None:
    catalog = json.loads((real_datasets_dir / "catalog.json").read_text())
    statuses = {}
    for dataset in catalog["datasets"]:
        result = run("metadata.consistency", real_datasets_dir / dataset["file"], dataset["metadata"])
        statuses[dataset["id"][-2:]] = result.status
    assert statuses == {
        "01": Status.PASSED,
        "02": Status.SKIPPED,
        "03": Status.PASSED,
        "04": Status.PASSED,
        "05": Status.PASSED,
        "06": Status.FAILED,
        "07": Status.PASSED,
        "08": Status.SKIPPED,
    }


# ------------------------------------------------------------ metadata.required_keys


def test_required_pass(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    result = run("metadata.required_keys", root, {"robot_type": "ur5", "episodes": 3}, keys={"robot_type": "string", "episodes": "integer"})
    assert result.status is Status.PASSED
    assert result.total_count == 2


def test_required_fail(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    metadata = {"episodes": True, "duration_seconds": "5", "location": None}
    keys = {"robot_type": "string", "episodes": "integer", "duration_seconds": "number", "location": "string"}
    result = run("metadata.required_keys", root, metadata, keys=keys)
    assert result.status is Status.FAILED
    assert result.failed_count == 4
    assert result.message == (
        "metadata is missing 1 of 4 required keys (robot_type); 3 keys have the wrong type "
        "(episodes is True, expected integer, duration_seconds is '5', expected number, location is None, expected string)"
    )


def test_required_null_allowed(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    result = run("metadata.required_keys", root, {"location": None}, keys={"location": "string"}, allow_null=True)
    assert result.status is Status.PASSED


def test_required_bad_type_name() -> None:
    spec = get_check("metadata.required_keys")
    with pytest.raises(ValueError, match="keys.robot_type"):
        spec.args_model(keys={"robot_type": "text"})
