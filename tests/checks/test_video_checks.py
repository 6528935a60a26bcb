"""The video.* built-in checks on clips encoded in the test and on the real deliveries."""

from __future__ import annotations

import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import av
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from worker.archive.source import open_source
from worker.checks.context import CheckContext, DatasetInfo
from worker.checks.registry import get_check
from worker.checks.results import CheckResult, Status
from worker.video import access
from worker.video.synthetic import noise_frames, solid_frames, write_clip
from workdirs import work_dir_for

V2_VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"
V3_VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
CAMERA = "observation.images.front"


def run(name: str, root: Path, metadata: dict[str, Any] | None = None, **args: Any) -> CheckResult:
    """Run one registered check on a folder or ZIP and return its only result."""
    spec = get_check(name)
    assert spec is not None, f"{name} is not registered"
    work_dir = work_dir_for(root)
    with open_source(root, work_dir) as source:
        ctx = CheckContext(
            source=source,
            dataset=DatasetInfo(id="d1", name="d1", data_type="episode", metadata=metadata or {}),
            work_dir=work_dir,
        )
        results = spec.function(ctx, spec.args_model(**args))
    assert len(results) == 1
    return results[0]


def info_json(version: str, fps: int, width: int, height: int, episodes: int, video_path: str) -> dict[str, Any]:
    return {
        "codebase_version": version,
        "robot_type": "test_arm",
        "fps": fps,
        "total_episodes": episodes,
        "total_frames": 0,
        "chunks_size": 1000,
        "data_path": "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
        if version != "v3.0"
        else "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": video_path,
        "features": {
            CAMERA: {
                "dtype": "video",
                "shape": [height, width, 3],
                "names": ["height", "width", "channel"],
                "info": {
                    "video.height": height,
                    "video.width": width,
                    "video.codec": "h264",
                    "video.pix_fmt": "yuv420p",
                    "video.fps": fps,
                },
            },
            "timestamp": {"dtype": "float32", "shape": [1], "names": None},
        },
    }


def v21_dataset(root: Path, lengths: list[int], frames: list[int] | None = None, sizes: list[tuple[int, int]] | None = None) -> Path:
    """Build a v2.1 LeRobot folder with one h264 camera at 10 fps, 64x48 unless `sizes` gives other sizes."""
    (root / "meta").mkdir(parents=True)
    info = info_json("v2.1", 10, 64, 48, len(lengths), V2_VIDEO_PATH)
    (root / "meta" / "info.json").write_text(json.dumps(info))
    lines = [json.dumps({"episode_index": i, "tasks": ["t"], "length": n}) for i, n in enumerate(lengths)]
    (root / "meta" / "episodes.jsonl").write_text("\n".join(lines) + "\n")
    for index, count in enumerate(frames or lengths):
        width, height = (sizes or [(64, 48)] * len(lengths))[index]
        member = V2_VIDEO_PATH.format(episode_chunk=0, video_key=CAMERA, episode_index=index)
        write_clip(root / member, noise_frames(count, width, height, seed=index), fps=10)
    return root


def v30_dataset(root: Path, lengths: list[int], spans: list[tuple[float, float]], frames: int) -> Path:
    """Build a v3.0 LeRobot folder whose episodes share one video file of `frames` frames at 10 fps."""
    (root / "meta" / "episodes" / "chunk-000").mkdir(parents=True)
    info = info_json("v3.0", 10, 64, 48, len(lengths), V3_VIDEO_PATH)
    (root / "meta" / "info.json").write_text(json.dumps(info))
    starts = list(itertools.accumulate([0, *lengths]))
    table = pa.table(
        {
            "episode_index": list(range(len(lengths))),
            "length": lengths,
            "data/chunk_index": [0] * len(lengths),
            "data/file_index": [0] * len(lengths),
            "dataset_from_index": starts[:-1],
            "dataset_to_index": starts[1:],
            f"videos/{CAMERA}/chunk_index": [0] * len(lengths),
            f"videos/{CAMERA}/file_index": [0] * len(lengths),
            f"videos/{CAMERA}/from_timestamp": [start for start, _ in spans],
            f"videos/{CAMERA}/to_timestamp": [end for _, end in spans],
        }
    )
    pq.write_table(table, root / "meta" / "episodes" / "chunk-000" / "file-000.parquet")
    member = V3_VIDEO_PATH.format(video_key=CAMERA, chunk_index=0, file_index=0)
    write_clip(root / member, noise_frames(frames), fps=10)
    return root


def broken_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(500))
    return path


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder).as_posix())
    return target


# ---------------------------------------------------------------- video.decodes


def test_decodes_pass(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", noise_frames(20), fps=10)
    write_clip(root / "clips" / "b.mp4", noise_frames(15), fps=10)
    result = run("video.decodes", root)
    assert result.status is Status.PASSED
    assert result.failed_count == 0
    assert result.total_count == 2
    assert result.details["coverage"]["full"] == 2


def test_decodes_broken_header(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", noise_frames(20), fps=10)
    broken_file(root / "bad.mp4")
    result = run("video.decodes", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.total_count == 2
    assert result.member == "bad.mp4"
    assert result.message.startswith("1 of 2 videos do not decode: bad.mp4 is not a readable video")
    assert result.examples[0].member == "bad.mp4"


def test_decodes_truncated(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    with av.open(str(root / "cut.mp4"), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for rgb in noise_frames(30):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode(None))
    data = (root / "cut.mp4").read_bytes()
    (root / "cut.mp4").write_bytes(data[: int(len(data) * 0.6)])
    result = run("video.decodes", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert "of the 30 frames its container declares (truncated)" in result.message


def test_decodes_budget_demuxes(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", noise_frames(20), fps=10)
    write_clip(root / "b.mp4", noise_frames(20), fps=10)
    result = run("video.decodes", root, time_budget_s=1e-9)
    assert result.status is Status.PASSED
    assert result.details["coverage"]["packets"] == 2
    assert "2 only demuxed" in result.message


def test_decodes_no_videos(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    (root / "notes.txt").write_text("no video here")
    result = run("video.decodes", root)
    assert result.status is Status.SKIPPED
    assert "no member matches **/*.mp4" in result.message


def test_decodes_zip_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "d"
    write_clip(folder / "a.mp4", noise_frames(20), fps=10)
    archive = zip_folder(folder, tmp_path / "d.zip")
    monkeypatch.setattr(access, "KEEP_EXTRACTED_MAX_BYTES", 0)
    result = run("video.decodes", archive)
    assert result.status is Status.PASSED
    assert result.total_count == 1
    assert list((tmp_path / "work-d.zip").rglob("*.mp4")) == []


def test_decodes_zip_keeps_small(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    write_clip(folder / "a.mp4", noise_frames(20), fps=10)
    archive = zip_folder(folder, tmp_path / "d.zip")
    run("video.decodes", archive)
    assert len(list((tmp_path / "work-d.zip").rglob("*.mp4"))) == 1


# ------------------------------------------------------------- video.properties


def test_properties_args_pass(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", noise_frames(10), fps=10)
    result = run("video.properties", root, codec="h264", pix_fmt="yuv420p", width=64, height=48, fps=10)
    assert result.status is Status.PASSED
    assert result.total_count == 1
    assert result.failed_count == 0


def test_properties_args_fail(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", noise_frames(10), fps=10)
    write_clip(root / "b.mp4", noise_frames(10, 32, 48), fps=10)
    result = run("video.properties", root, codec="av1", width=64)
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 2
    assert "a.mp4 codec h264, declared av1" in result.message
    assert "b.mp4 codec h264, declared av1; b.mp4 width 32, declared 64" in result.message


def test_properties_nothing_declared(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", noise_frames(10), fps=10)
    result = run("video.properties", root)
    assert result.status is Status.SKIPPED
    assert "no properties to compare" in result.message


def test_properties_lerobot_pass(tmp_path: Path) -> None:
    root = v21_dataset(tmp_path / "d", [10, 12, 8])
    result = run("video.properties", root)
    assert result.status is Status.PASSED
    assert result.total_count == 3
    assert "codec h264, fps 10, height 48, pix_fmt yuv420p, width 64" in result.message


def test_properties_lerobot_fail(tmp_path: Path) -> None:
    root = v21_dataset(tmp_path / "d", [10, 12, 8], sizes=[(64, 48), (32, 48), (64, 48)])
    result = run("video.properties", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.total_count == 3
    assert result.examples[0].episode == 1
    assert result.examples[0].column == "width"
    assert "episode_000001.mp4 width 32, declared 64" in result.message


def test_properties_broken_video(tmp_path: Path) -> None:
    root = v21_dataset(tmp_path / "d", [10, 12])
    broken_file(root / V2_VIDEO_PATH.format(episode_chunk=0, video_key=CAMERA, episode_index=1))
    result = run("video.properties", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert "episode_000001.mp4 is not a readable video" in result.message


# ------------------------------------------------- video.lerobot_episode_length


def test_length_v21_pass(tmp_path: Path) -> None:
    root = v21_dataset(tmp_path / "d", [10, 12, 8])
    result = run("video.lerobot_episode_length", root)
    assert result.status is Status.PASSED
    assert result.total_count == 3
    assert result.failed_count == 0


def test_length_v21_fail(tmp_path: Path) -> None:
    root = v21_dataset(tmp_path / "d", [10, 12, 8], frames=[10, 12, 9])
    result = run("video.lerobot_episode_length", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.total_count == 3
    assert "episode_000002.mp4 has 9 frames, episode 2 has length 8" in result.message
    assert "lasts 0.900 s, episode 2 lasts 0.800 s" in result.message


def test_length_v21_tolerance(tmp_path: Path) -> None:
    root = v21_dataset(tmp_path / "d", [10, 12, 8], frames=[10, 12, 9])
    result = run("video.lerobot_episode_length", root, tolerance_frames=1)
    assert result.status is Status.PASSED


def test_length_v21_decoded(tmp_path: Path) -> None:
    root = v21_dataset(tmp_path / "d", [10, 12], frames=[10, 11])
    result = run("video.lerobot_episode_length", root, count="decoded")
    assert result.status is Status.FAILED
    assert "has 11 frames, episode 1 has length 12" in result.message


def test_length_v30_pass(tmp_path: Path) -> None:
    root = v30_dataset(tmp_path / "d", [10, 12], [(0.0, 1.0), (1.0, 2.2)], frames=22)
    result = run("video.lerobot_episode_length", root)
    assert result.status is Status.PASSED
    assert result.total_count == 2


def test_length_v30_fail(tmp_path: Path) -> None:
    root = v30_dataset(tmp_path / "d", [10, 12], [(0.0, 1.0), (1.0, 2.2)], frames=18)
    result = run("video.lerobot_episode_length", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.examples[0].episode == 1
    assert "holds 8 frames for episode 1 (1.000 s to 2.200 s), episode length is 12" in result.message


def test_length_v30_bad_span(tmp_path: Path) -> None:
    root = v30_dataset(tmp_path / "d", [10, 12], [(0.0, 1.0), (1.0, 2.0)], frames=22)
    result = run("video.lerobot_episode_length", root)
    assert result.status is Status.FAILED
    assert "spans 10.0 frames for episode 1" in result.message


def test_length_no_layout(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", noise_frames(10), fps=10)
    result = run("video.lerobot_episode_length", root)
    assert result.status is Status.SKIPPED
    assert "no meta/info.json" in result.message


# ---------------------------------------------------- video.duration_matches_metadata


@pytest.fixture
def two_second_clip(tmp_path: Path) -> Path:
    root = tmp_path / "d"
    write_clip(root / "clip.mp4", noise_frames(20), fps=10)
    return root


def test_duration_pass(two_second_clip: Path) -> None:
    result = run("video.duration_matches_metadata", two_second_clip, {"duration_seconds": 2.0})
    assert result.status is Status.PASSED
    assert result.total_count == 1


def test_duration_fail(two_second_clip: Path) -> None:
    result = run("video.duration_matches_metadata", two_second_clip, {"duration_seconds": 5.0})
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.message.endswith("clip.mp4 duration 2.00 s, metadata duration_seconds 5.0 s (tolerance 0.5 s)")
    assert result.examples[0].value == pytest.approx(2.0)


def test_duration_percent(two_second_clip: Path) -> None:
    result = run("video.duration_matches_metadata", two_second_clip, {"duration_seconds": 5.0}, tolerance_pct=70)
    assert result.status is Status.PASSED
    assert "tolerance 3.5 s" in result.message


def test_duration_no_metadata(two_second_clip: Path) -> None:
    result = run("video.duration_matches_metadata", two_second_clip, {"fps": 10})
    assert result.status is Status.SKIPPED


def test_duration_not_number(two_second_clip: Path) -> None:
    result = run("video.duration_matches_metadata", two_second_clip, {"duration_seconds": "five"})
    assert result.status is Status.FAILED
    assert "metadata duration_seconds is 'five'" in result.message


def test_duration_total(two_second_clip: Path) -> None:
    write_clip(two_second_clip / "second.mp4", noise_frames(10), fps=10)
    passing = run("video.duration_matches_metadata", two_second_clip, {"duration_seconds": 3.0}, combine="total")
    failing = run("video.duration_matches_metadata", two_second_clip, {"duration_seconds": 3.0})
    assert passing.status is Status.PASSED
    assert failing.status is Status.FAILED
    assert failing.failed_count == 2


def test_duration_no_video(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    (root / "readme.txt").write_text("x")
    result = run("video.duration_matches_metadata", root, {"duration_seconds": 5.0})
    assert result.status is Status.FAILED
    assert "no member matches **/*.mp4" in result.message


# ------------------------------------------------- video.black_frames, video.frozen_frames


def test_black_pass(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", itertools.chain(noise_frames(19), solid_frames(1, 0)), fps=10)
    result = run("video.black_frames", root)
    assert result.status is Status.PASSED
    assert result.total_count == 1


def test_black_fail(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "ok.mp4", noise_frames(20), fps=10)
    write_clip(root / "dark.mp4", itertools.chain(noise_frames(10), solid_frames(5, 0)), fps=10)
    result = run("video.black_frames", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.total_count == 2
    assert "dark.mp4 has 5 of 15 sampled frames near-black (33%, allowed 10%" in result.message
    assert result.examples[0].value == 5


def test_frozen_pass(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", itertools.chain(noise_frames(5), solid_frames(15, 90), noise_frames(5)), fps=10)
    result = run("video.frozen_frames", root)
    assert result.status is Status.PASSED


def test_frozen_fail(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", itertools.chain(noise_frames(5), solid_frames(30, 90), noise_frames(5)), fps=10)
    result = run("video.frozen_frames", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert "a.mp4 shows 30 near-identical consecutive frames (3.00 s, allowed 2 s) from 0.50 s" in result.message


def test_frozen_windowed(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_clip(root / "a.mp4", itertools.chain(noise_frames(120), solid_frames(30, 90)), fps=10)
    result = run("video.frozen_frames", root, max_frames=80, windows=2)
    # Two windows of 40 frames: 0.0 to 3.9 s and 11.0 to 14.9 s.
    assert result.details["sampled"]["a.mp4"] == {"frames": 80, "windows": 2, "complete": True}
    assert result.status is Status.FAILED
    assert "a.mp4 shows 30 near-identical consecutive frames (3.00 s, allowed 2 s) from 12.00 s" in result.message


def test_sampled_broken(tmp_path: Path) -> None:
    root = tmp_path / "d"
    broken_file(root / "bad.mp4")
    result = run("video.black_frames", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert "bad.mp4 is not a readable video" in result.message


# ---------------------------------------------------------------- real deliveries


def test_real_cockatoo_duration(real_datasets_dir: Path) -> None:
    archive = real_datasets_dir / "cockatoo-pov.zip"
    passing = run("video.duration_matches_metadata", archive, {"duration_seconds": 14.0})
    failing = run("video.duration_matches_metadata", archive, {"duration_seconds": 5.0})
    assert passing.status is Status.PASSED
    assert failing.status is Status.FAILED
    assert "duration" in failing.message
    assert failing.message.endswith("video.mp4 duration 14.00 s, metadata duration_seconds 5.0 s (tolerance 0.5 s)")


def test_real_g1_videos(real_datasets_dir: Path) -> None:
    archive = real_datasets_dir / "g1-pick-bottle-v21.zip"
    # The default 10 s decode budget bounds this test on a busy machine, so
    # some videos may be demuxed only. The slow test below decodes them all.
    for name in ("video.decodes", "video.properties", "video.lerobot_episode_length"):
        result = run(name, archive)
        assert result.status is Status.PASSED, f"{name}: {result.message}"
        assert result.total_count == 8, name
        assert result.failed_count == 0, name


@pytest.mark.slow
def test_real_g1_full_decode(real_datasets_dir: Path) -> None:
    result = run("video.decodes", real_datasets_dir / "g1-pick-bottle-v21.zip", time_budget_s=300.0)
    assert result.status is Status.PASSED
    assert result.details["coverage"]["full"] == 8
    assert sum(video["frames_decoded"] for video in result.details["videos"].values()) == 2868


def test_real_so101_length(real_datasets_dir: Path) -> None:
    result = run("video.lerobot_episode_length", real_datasets_dir / "so101-record-v30.zip")
    assert result.status is Status.SKIPPED
    assert "none of the 8 declared episode videos" in result.message
