"""Plot data gathered from open archives: episode timing, value ranges, video frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gerra_emulator.demo import defects
from gerra_emulator.demo.archive import write_zip
from gerra_emulator.demo.lerobot import v21_members
from gerra_emulator.demo.recording import SO100
from .builders import FPS, jump_dataset, recording, write_dataset
from worker.archive.source import open_source
from worker.lerobot.frames import load_frames
from worker.lerobot.layout import load_layout
from worker.reports import plots
from worker.reports.plots import collect_report_data

PERIOD = 1 / FPS


class _Context:
    """The source and cache that the LeRobot readers take from a check context."""

    def __init__(self, source, cache) -> None:
        self.source = source
        self.cache = cache


def _collect(path: Path, tmp_path: Path, cache: dict | None = None, **options) -> dict:
    with open_source(path, tmp_path / "extract") as source:
        return collect_report_data(source, cache if cache is not None else {}, None, **options)


def test_jump_episode_timing(tmp_path: Path) -> None:
    data = _collect(jump_dataset(tmp_path / "jump.zip"), tmp_path)
    episodes = data["lerobot"]["episodes"]
    assert data["lerobot"]["source"] == "files"
    assert episodes["index"] == [0, 1, 2]
    assert episodes["length"] == [40, 35, 40]
    assert episodes["step_max"] == pytest.approx([PERIOD, 6 * PERIOD, PERIOD], abs=1e-5)
    assert episodes["step_min"] == pytest.approx([PERIOD] * 3, abs=1e-5)
    assert episodes["step_median"] == pytest.approx([PERIOD] * 3, abs=1e-5)
    assert data["lerobot"]["declared_lengths"] == {"0": 40, "1": 35, "2": 40}
    assert data["lerobot"]["fps"] == FPS


def test_value_ranges_match_data(tmp_path: Path) -> None:
    rec = recording([30, 50])
    data = _collect(write_dataset(tmp_path / "d.zip", rec), tmp_path)
    dims = data["lerobot"]["dimensions"]
    state = np.concatenate([e.state for e in rec.episodes]).astype(np.float64)
    action = np.concatenate([e.action for e in rec.episodes]).astype(np.float64)
    assert dims["observation.state"]["names"] == list(SO100.joint_names)
    assert dims["observation.state"]["min"] == pytest.approx(state.min(axis=0).tolist())
    assert dims["observation.state"]["max"] == pytest.approx(state.max(axis=0).tolist())
    assert dims["action"]["max"] == pytest.approx(action.max(axis=0).tolist())
    assert dims["action"]["non_finite"] == [0] * 6


def test_nan_values_counted(tmp_path: Path) -> None:
    rec = recording([30, 30])
    defects.blank_state(rec.episodes[1], 2, 5, 7)
    data = _collect(write_dataset(tmp_path / "d.zip", rec), tmp_path)
    assert data["lerobot"]["dimensions"]["observation.state"]["non_finite"] == [0, 0, 7, 0, 0, 0]


def test_cache_matches_files(tmp_path: Path) -> None:
    path = jump_dataset(tmp_path / "jump.zip")
    from_files = _collect(path, tmp_path)
    with open_source(path, tmp_path / "extract2") as source:
        cache: dict = {}
        context = _Context(source, cache)
        load_frames(context, load_layout(context), ["timestamp"])
        from_cache = collect_report_data(source, cache, None)
    assert from_cache["lerobot"]["source"] == "cache"
    assert from_cache["lerobot"]["episodes"] == from_files["lerobot"]["episodes"]
    assert from_cache["lerobot"]["dimensions"] == from_files["lerobot"]["dimensions"]


def test_frames_per_video(tmp_path: Path) -> None:
    data = _collect(jump_dataset(tmp_path / "jump.zip"), tmp_path)
    frames = data["frames"]
    assert len(frames) == 9
    assert [f["episode"] for f in frames] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert {f["camera"] for f in frames} == {"observation.images.front"}
    assert {f["mime_type"] for f in frames} == {"image/jpeg"}
    assert data["notes"] == []


def test_frames_capped(tmp_path: Path) -> None:
    rec = recording([15] * 10, cameras=("front", "wrist"))
    data = _collect(write_dataset(tmp_path / "d.zip", rec), tmp_path)
    frames = data["frames"]
    assert len(frames) == 18
    episodes = sorted({(f["camera"], f["episode"]) for f in frames})
    assert episodes == [
        ("observation.images.front", 0), ("observation.images.front", 5), ("observation.images.front", 9),
        ("observation.images.wrist", 0), ("observation.images.wrist", 5), ("observation.images.wrist", 9),
    ]


def test_v30_shared_video_once(tmp_path: Path) -> None:
    data = _collect(jump_dataset(tmp_path / "jump.zip", version="v3.0"), tmp_path)
    frames = data["frames"]
    assert len(frames) == 3
    assert {f["member"] for f in frames} == {"videos/observation.images.front/chunk-000/file-000.mp4"}
    assert {f["episode"] for f in frames} == {None}
    assert data["lerobot"]["episodes"]["length"] == [40, 35, 40]


def test_lfs_videos_noted(tmp_path: Path) -> None:
    members = v21_members(recording([20, 20, 20]))
    defects.replace_with_lfs_pointers(members, (".mp4",))
    data = _collect(write_zip(tmp_path / "lfs.zip", members), tmp_path)
    assert data["frames"] == []
    assert data["notes"] == [
        "no frames from videos/chunk-000/observation.images.front/episode_000000.mp4 and 2 more: "
        "it is a Git LFS pointer file, not a video"
    ]


def test_frame_budget_stops(tmp_path: Path) -> None:
    data = _collect(jump_dataset(tmp_path / "jump.zip"), tmp_path, frame_budget_s=0.0)
    assert data["frames"] == []
    assert data["notes"] == ["frame grabs stopped after 0 s; 3 videos not shown"]


def test_part_failure_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("decoder exploded")

    # Fault injection: the frame grabber raising must leave the episode data in place.
    monkeypatch.setattr(plots, "grab_report_frames", broken)
    data = _collect(jump_dataset(tmp_path / "jump.zip"), tmp_path)
    assert "frames" not in data
    assert data["notes"] == ["video frames not gathered: RuntimeError: decoder exploded"]
    assert data["lerobot"]["episodes"]["length"] == [40, 35, 40]


def test_real_g1_delivery(real_datasets_dir: Path, tmp_path: Path) -> None:
    data = _collect(real_datasets_dir / "g1-pick-bottle-v21.zip", tmp_path)
    lerobot = data["lerobot"]
    assert len(lerobot["episodes"]["index"]) == 8
    assert sum(lerobot["episodes"]["length"]) == 2868
    assert len(lerobot["dimensions"]["observation.state"]["names"]) == 26
    assert len(lerobot["dimensions"]["action"]["names"]) == 26
    assert len(data["frames"]) == 9


def test_real_generated_video(real_datasets_dir: Path, tmp_path: Path) -> None:
    data = _collect(real_datasets_dir / "cockatoo-pov.zip", tmp_path)
    assert "lerobot" not in data
    assert [f["member"] for f in data["frames"]] == ["video.mp4"] * 3
    assert [f["width"] for f in data["frames"]] == [240] * 3
