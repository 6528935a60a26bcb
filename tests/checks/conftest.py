"""Builders of small LeRobot datasets (v2.1 and v3.0) in tmp folders, and a check runner."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from worker.archive.source import open_source
from worker.checks.context import CheckContext, DatasetInfo
from worker.checks.registry import get_check
from worker.checks.results import CheckResult
from workdirs import work_dir_for

V2_DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
V2_VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"
V3_DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
V3_VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
TASK = "pick the cube"


@dataclass
class LeRobotBuilder:
    """A LeRobot dataset described in memory; edit its fields, then `write()` it to a folder.

    `episodes[e]` contains the columns of episode e as NumPy arrays, so a test
    plants a defect by editing them (or `info`) before writing. The MP4
    members are placeholder bytes: these checks test presence, not decoding.
    """

    root: Path
    version: str = "v2.1"
    fps: int = 30
    lengths: list[int] = field(default_factory=lambda: [5, 4, 6])
    names: list[str] = field(default_factory=lambda: ["shoulder", "elbow", "gripper"])
    video_keys: list[str] = field(default_factory=lambda: ["observation.images.front"])
    episodes: list[dict[str, np.ndarray]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    episode_rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(7)
        start = 0
        for e, length in enumerate(self.lengths):
            width = len(self.names)
            self.episodes.append(
                {
                    "observation.state": rng.normal(size=(length, width)).astype(np.float32),
                    "action": rng.normal(size=(length, width)).astype(np.float32),
                    "timestamp": (np.arange(length) / self.fps).astype(np.float32),
                    "frame_index": np.arange(length, dtype=np.int64),
                    "episode_index": np.full(length, e, dtype=np.int64),
                    "index": np.arange(start, start + length, dtype=np.int64),
                    "task_index": np.zeros(length, dtype=np.int64),
                }
            )
            start += length
        self.info = self._info()
        self.episode_rows = self._episode_rows()

    @property
    def is_v3(self) -> bool:
        return self.version == "v3.0"

    def _info(self) -> dict[str, Any]:
        vector = {"dtype": "float32", "shape": [len(self.names)], "names": list(self.names)}
        scalar = {"shape": [1], "names": None}
        features: dict[str, Any] = {"observation.state": dict(vector), "action": dict(vector)}
        for key in self.video_keys:
            features[key] = {
                "dtype": "video",
                "shape": [48, 64, 3],
                "names": ["height", "width", "channel"],
                "info": {"video.fps": self.fps, "video.codec": "h264"},
            }
        features["timestamp"] = {"dtype": "float32", **scalar}
        for key in ("frame_index", "episode_index", "index", "task_index"):
            features[key] = {"dtype": "int64", **scalar}
        info: dict[str, Any] = {
            "codebase_version": self.version,
            "robot_type": "test_arm",
            "total_episodes": len(self.lengths),
            "total_frames": sum(self.lengths),
            "total_tasks": 1,
            "chunks_size": 1000,
            "fps": self.fps,
            "splits": {"train": f"0:{len(self.lengths)}"},
            "data_path": V3_DATA_PATH if self.is_v3 else V2_DATA_PATH,
            "video_path": None,
            "features": features,
        }
        if self.video_keys:
            info["video_path"] = V3_VIDEO_PATH if self.is_v3 else V2_VIDEO_PATH
        if not self.is_v3:
            info["total_videos"] = len(self.lengths) * len(self.video_keys)
            info["total_chunks"] = 1
        return info

    def _episode_rows(self) -> list[dict[str, Any]]:
        rows = []
        start = 0
        for e, length in enumerate(self.lengths):
            row: dict[str, Any] = {"episode_index": e, "tasks": [TASK], "length": length}
            if self.is_v3:
                row |= {
                    "data/chunk_index": 0,
                    "data/file_index": 0,
                    "dataset_from_index": start,
                    "dataset_to_index": start + length,
                }
                for key in self.video_keys:
                    row |= {
                        f"videos/{key}/chunk_index": 0,
                        f"videos/{key}/file_index": 0,
                        f"videos/{key}/from_timestamp": start / self.fps,
                        f"videos/{key}/to_timestamp": (start + length) / self.fps,
                    }
            rows.append(row)
            start += length
        return rows

    def write(self, videos: bool = True) -> Path:
        """Write info.json, episodes metadata, tasks, data files and (placeholder) videos."""
        meta = self.root / "meta"
        meta.mkdir(parents=True, exist_ok=True)
        (meta / "info.json").write_text(json.dumps(self.info, indent=2))
        if self.is_v3:
            self._write_v3(videos)
        else:
            self._write_v2(videos)
        return self.root

    def _write_v2(self, videos: bool) -> None:
        lines = [json.dumps(row) for row in self.episode_rows]
        (self.root / "meta" / "episodes.jsonl").write_text("\n".join(lines) + "\n")
        (self.root / "meta" / "tasks.jsonl").write_text(json.dumps({"task_index": 0, "task": TASK}) + "\n")
        for e, columns in enumerate(self.episodes):
            write_parquet(self.root / V2_DATA_PATH.format(episode_chunk=0, episode_index=e), columns)
            for key in self.video_keys if videos else []:
                path = self.root / V2_VIDEO_PATH.format(episode_chunk=0, video_key=key, episode_index=e)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"placeholder video")

    def _write_v3(self, videos: bool) -> None:
        episodes_file = self.root / "meta" / "episodes" / "chunk-000" / "file-000.parquet"
        episodes_file.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(self.episode_rows), episodes_file)
        pq.write_table(pa.table({"task_index": [0], "task": [TASK]}), self.root / "meta" / "tasks.parquet")
        merged = {key: np.concatenate([columns[key] for columns in self.episodes]) for key in self.episodes[0]}
        write_parquet(self.root / V3_DATA_PATH.format(chunk_index=0, file_index=0), merged)
        for key in self.video_keys if videos else []:
            path = self.root / V3_VIDEO_PATH.format(video_key=key, chunk_index=0, file_index=0)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"placeholder video")


def write_parquet(path: Path, columns: dict[str, np.ndarray]) -> None:
    """Write columns as LeRobot does: vectors as fixed-size lists, scalars as plain columns."""
    arrays = {}
    for name, values in columns.items():
        if values.ndim == 2:
            arrays[name] = pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])
        else:
            arrays[name] = pa.array(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(arrays), path)


def _zip_folder(folder: Path, target: Path) -> Path:
    """Pack a folder into a ZIP with a top-level folder, as vendors usually deliver it."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return target


@contextmanager
def _check_context(path: Path, cache: dict[str, Any] | None = None) -> Iterator[CheckContext]:
    """Open a folder or ZIP and yield the context checks see, with a fresh or given cache."""
    work_dir = work_dir_for(path)
    work_dir.mkdir(exist_ok=True)
    with open_source(path, work_dir) as source:
        yield CheckContext(
            source=source,
            dataset=DatasetInfo(id=path.name, name=path.name, data_type="episode"),
            work_dir=work_dir,
            cache=cache if cache is not None else {},
        )


def _call(ctx: CheckContext, name: str, **args: Any) -> list[CheckResult]:
    spec = get_check(name)
    assert spec is not None, f"{name} is not registered"
    return spec.function(ctx, spec.args_model(**args))


def _run_check(path: Path, name: str, cache: dict[str, Any] | None = None, **args: Any) -> list[CheckResult]:
    """Run one registered check on a folder or ZIP with the given args and return its results."""
    with _check_context(path, cache) as ctx:
        return _call(ctx, name, **args)


@pytest.fixture
def lerobot(tmp_path: Path) -> Callable[..., LeRobotBuilder]:
    """Return a factory of `LeRobotBuilder`s rooted in fresh tmp folders."""
    count = 0

    def make(**fields: Any) -> LeRobotBuilder:
        nonlocal count
        count += 1
        return LeRobotBuilder(root=tmp_path / f"dataset{count}", **fields)

    return make


@pytest.fixture
def run_check() -> Callable[..., list[CheckResult]]:
    """Return ``run_check(path, name, cache=None, **args)``, which runs one registered check."""
    return _run_check


@pytest.fixture
def check_context() -> Callable[..., Any]:
    """Return ``check_context(path, cache=None)``, a context manager yielding a `CheckContext`."""
    return _check_context


@pytest.fixture
def call_check() -> Callable[..., list[CheckResult]]:
    """Return ``call_check(ctx, name, **args)``, which runs one registered check on an open context."""
    return _call


@pytest.fixture
def zip_folder() -> Callable[[Path, Path], Path]:
    """Return ``zip_folder(folder, target)``, which packs a folder under a top-level folder."""
    return _zip_folder
