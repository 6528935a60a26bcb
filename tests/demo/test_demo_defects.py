"""Each demo fault is in its archive exactly as the catalog description states, and nothing else is."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import av
import numpy as np
import pyarrow.csv as pacsv
import pytest

from gerra_emulator.demo import deliveries as d

from .readers import entry_for_file, read_jsonl, read_parquet

FPS = 30
PERIOD_S = 1 / FPS


def _episode_table(source, episode: int):
    return read_parquet(source, f"data/chunk-000/episode_{episode:06d}.parquet")


def _video_frames(source, name: str) -> tuple[int, float]:
    """Decode a video member; return (frames, frames / average rate in seconds)."""
    with av.open(str(source.local_path(name))) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames, frames / float(stream.average_rate)


def _reject_nan(token: str) -> None:
    raise ValueError(f"{token} is not valid JSON")


def test_timestamp_jump_episode(open_archive, catalog_document: dict) -> None:
    source = open_archive(d.TIMESTAMP_JUMP)
    table = _episode_table(source, 3)
    timestamps = table.column("timestamp").to_numpy()
    steps = np.diff(timestamps)
    bad = np.flatnonzero(~np.isclose(steps, PERIOD_S, atol=1e-5))

    assert table.num_rows == 80
    assert table.column("frame_index").to_pylist() == list(range(80))
    assert bad.tolist() == [59]
    assert timestamps[59] == pytest.approx(59 / FPS)
    assert timestamps[60] == pytest.approx(75 / FPS)
    assert steps[59] == pytest.approx(16 / FPS)
    description = entry_for_file(catalog_document, d.TIMESTAMP_JUMP)["description"]
    assert "lost 15 frames in episode 3" in description
    assert "from 1.967 s to 2.500 s" in description


def test_timestamp_jump_rest_consistent(open_archive) -> None:
    source = open_archive(d.TIMESTAMP_JUMP)
    episodes = read_jsonl(source, "meta/episodes.jsonl")

    assert [episode["length"] for episode in episodes] == [60, 66, 63, 80, 58]
    for episode in episodes:
        table = _episode_table(source, episode["episode_index"])
        assert table.num_rows == episode["length"]
        frames, _ = _video_frames(source, f"videos/chunk-000/observation.images.front/episode_{episode['episode_index']:06d}.mp4")
        assert frames == episode["length"]
        if episode["episode_index"] != 3:
            assert np.allclose(np.diff(table.column("timestamp").to_numpy()), PERIOD_S, atol=1e-5)


def test_nan_state_values(open_archive, catalog_document: dict) -> None:
    source = open_archive(d.NAN_STATE)
    nan_cells = []
    for episode in range(len(d.NAN_LENGTHS)):
        table = _episode_table(source, episode)
        for column in ("observation.state", "action"):
            values = np.stack(table.column(column).to_numpy(zero_copy_only=False))
            nan_cells += [(episode, column, int(row), int(dim)) for row, dim in zip(*np.nonzero(np.isnan(values)))]

    assert len(nan_cells) == 12
    assert nan_cells == [(1, "observation.state", row, 2) for row in range(30, 42)]
    description = entry_for_file(catalog_document, d.NAN_STATE)["description"]
    assert "main_elbow_flex (element 2)" in description
    assert "episode 1, rows 30 to 41 (12 values)" in description


def test_nan_state_stats_valid_json(open_archive) -> None:
    source = open_archive(d.NAN_STATE)
    lines = source.read_bytes("meta/episodes_stats.jsonl").decode().splitlines()

    stats = [json.loads(line, parse_constant=_reject_nan) for line in lines]

    assert len(stats) == 5
    assert stats[1]["stats"]["observation.state"]["count"] == [64]


def test_missing_files_absent(open_archive, catalog_document: dict) -> None:
    source = open_archive(d.MISSING_FILES)
    info = json.loads(source.read_bytes("meta/info.json"))

    assert info["total_episodes"] == 6
    assert info["total_videos"] == 12
    assert len(source.glob("data/**/*.parquet")) == 5
    assert len(source.glob("videos/**/*.mp4")) == 11
    assert source.member("data/chunk-000/episode_000004.parquet") is None
    assert source.member("videos/chunk-000/observation.images.wrist/episode_000002.mp4") is None
    assert source.member("videos/chunk-000/observation.images.front/episode_000002.mp4") is not None
    assert len(read_jsonl(source, "meta/episodes.jsonl")) == 6
    description = entry_for_file(catalog_document, d.MISSING_FILES)["description"]
    assert "data/chunk-000/episode_000004.parquet" in description
    assert "videos/chunk-000/observation.images.wrist/episode_000002.mp4" in description


def test_metadata_mismatch_values(open_archive, catalog_document: dict) -> None:
    source = open_archive(d.METADATA_MISMATCH)
    info = json.loads(source.read_bytes("meta/info.json"))
    metadata = entry_for_file(catalog_document, d.METADATA_MISMATCH)["metadata"]

    assert metadata["episodes"] == 12
    assert metadata["robot_type"] == "koch"
    assert info["total_episodes"] == 10
    assert info["robot_type"] == "so100"
    assert len(source.glob("data/**/*.parquet")) == 10
    assert len(read_jsonl(source, "meta/episodes.jsonl")) == 10


def test_truncated_archive_half(demo_catalog: Path, catalog_document: dict) -> None:
    path = demo_catalog.parent / "archives" / d.TRUNCATED
    description = entry_for_file(catalog_document, d.TRUNCATED)["description"]
    kept, original = (int(n) for n in re.search(r"first (\d+) of (\d+) bytes", description).groups())

    assert path.stat().st_size == kept
    assert kept == original // 2
    assert path.read_bytes()[:4] == b"PK\x03\x04"
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(path)


def test_lfs_pointer_members(open_archive) -> None:
    source = open_archive(d.LFS_POINTERS)
    pointer = re.compile(rb"version https://git-lfs\.github\.com/spec/v1\noid sha256:[0-9a-f]{64}\nsize (\d+)\n\Z")
    pointers = []
    for member in source.members:
        match = pointer.match(source.read_bytes(member.name))
        if match:
            pointers.append((member.name, int(match.group(1))))

    assert len(pointers) == 10
    assert {Path(name).suffix for name, _ in pointers} == {".parquet", ".mp4"}
    assert all(size > 1000 for _, size in pointers)
    assert json.loads(source.read_bytes("meta/info.json"))["total_episodes"] == 5
    assert source.read_bytes(".gitattributes").count(b"filter=lfs") == 2


def test_duration_claim_wrong(open_archive, catalog_document: dict) -> None:
    source = open_archive(d.WAREHOUSE_THIRD_PERSON)
    entry = entry_for_file(catalog_document, d.WAREHOUSE_THIRD_PERSON)

    frames, seconds = _video_frames(source, "video.mp4")

    assert entry["metadata"]["duration_seconds"] == 8.0
    assert frames == 60
    assert seconds == pytest.approx(3.0)
    assert entry["data_type"] == "synthetic_third_person"


def test_generated_clip_matches_metadata(open_archive, catalog_document: dict) -> None:
    source = open_archive(d.KITCHEN_POV[2])
    entry = entry_for_file(catalog_document, d.KITCHEN_POV[2])

    frames, seconds = _video_frames(source, "video.mp4")
    preview_frames, _ = _video_frames(source, "preview.gif")

    assert source.names() == ["preview.gif", "video.mp4"]
    assert entry["metadata"] == {"perspective": "pov", "duration_seconds": 4.0, "fps": 20}
    assert frames == 80
    assert seconds == pytest.approx(4.0)
    assert preview_frames == 40


def test_telemetry_gap_and_spike(open_archive, catalog_document: dict) -> None:
    source = open_archive(d.TELEMETRY_GAP)
    joints = read_parquet(source, "joints.parquet")
    time_s = joints.column("timestamp").to_numpy()
    steps = np.diff(time_s)
    gaps = np.flatnonzero(steps > 0.011)
    current = joints.column("joint_3_current_a").to_numpy()
    outside = np.flatnonzero(np.abs(current) > 10.0)

    assert joints.num_rows == 1950
    assert gaps.tolist() == [699]
    assert time_s[699] == pytest.approx(6.99)
    assert time_s[700] == pytest.approx(7.50)
    assert outside.tolist() == list(range(1150, 1158))
    assert time_s[1150] == pytest.approx(12.0)
    assert set(current[outside]) == {38.5}
    for joint in (1, 2, 4, 5, 6):
        assert np.abs(joints.column(f"joint_{joint}_current_a").to_numpy()).max() < 10.0
    description = entry_for_file(catalog_document, d.TELEMETRY_GAP)["description"]
    assert "50 samples from 7.00 s to 7.49 s are missing" in description
    assert "reads 38.5 A for 8 samples from 12.00 s" in description


def test_telemetry_clean_in_range(open_archive) -> None:
    source = open_archive(d.TELEMETRY_CLEAN)
    channels = json.loads(source.read_bytes("channels.json"))["channels"]
    joints = read_parquet(source, "joints.parquet")
    temperatures = pacsv.read_csv(io.BytesIO(source.read_bytes("temperatures.csv")))

    assert source.names() == ["channels.json", "joints.parquet", "temperatures.csv"]
    assert joints.num_rows == temperatures.num_rows == 2000
    for table in (joints, temperatures):
        assert np.allclose(np.diff(table.column("timestamp").to_numpy()), 0.01)
        for name in table.column_names[1:]:
            values = table.column(name).to_numpy()
            assert channels[name]["min"] <= values.min(), name
            assert values.max() <= channels[name]["max"], name
    assert len(channels) == 19
