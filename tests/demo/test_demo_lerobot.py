"""The clean LeRobot demo datasets are internally consistent, and their videos decode as declared."""

from __future__ import annotations

import json
from fractions import Fraction

import av
import numpy as np
import pyarrow as pa
import pytest

from gerra_emulator.demo import deliveries as d

from .readers import read_jsonl, read_parquet

FPS = 30


def _decode(source, name: str) -> tuple[int, Fraction, str, int, int]:
    """Decode every frame of a video member; return (frames, stream rate, codec, width, height)."""
    with av.open(str(source.local_path(name))) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames, stream.average_rate, stream.codec_context.name, stream.width, stream.height


def test_v21_info_totals(open_archive) -> None:
    source = open_archive(d.PICK_CUBE)
    info = json.loads(source.read_bytes("meta/info.json"))

    parquets = source.glob("data/chunk-000/episode_*.parquet")
    videos = source.glob("videos/**/*.mp4")
    rows = sum(read_parquet(source, member.name).num_rows for member in parquets)
    assert info["codebase_version"] == "v2.1"
    assert info["total_episodes"] == len(parquets) == 6
    assert info["total_frames"] == rows == sum(d.PICK_CUBE_LENGTHS)
    assert info["total_videos"] == len(videos) == 12
    assert info["total_tasks"] == len(read_jsonl(source, "meta/tasks.jsonl")) == 1
    assert info["splits"] == {"train": "0:6"}


def test_v21_vector_features(open_archive) -> None:
    source = open_archive(d.PICK_CUBE)
    info = json.loads(source.read_bytes("meta/info.json"))
    table = read_parquet(source, "data/chunk-000/episode_000000.parquet")

    for name in ("observation.state", "action"):
        assert table.schema.field(name).type == pa.list_(pa.float32(), 6)
        assert info["features"][name]["shape"] == [6]
        assert len(info["features"][name]["names"]) == 6
    assert info["features"]["observation.state"]["names"][2] == "main_elbow_flex"


def test_v21_episode_rows(open_archive) -> None:
    source = open_archive(d.PICK_CUBE)
    episodes = read_jsonl(source, "meta/episodes.jsonl")
    assert [episode["length"] for episode in episodes] == d.PICK_CUBE_LENGTHS

    next_index = 0
    for episode in episodes:
        table = read_parquet(source, f"data/chunk-000/episode_{episode['episode_index']:06d}.parquet")
        length = episode["length"]
        assert table.num_rows == length
        assert table.column("frame_index").to_pylist() == list(range(length))
        assert set(table.column("episode_index").to_pylist()) == {episode["episode_index"]}
        assert table.column("index").to_pylist() == list(range(next_index, next_index + length))
        steps = np.diff(table.column("timestamp").to_numpy())
        assert np.allclose(steps, 1 / FPS, atol=1e-5)
        next_index += length


def test_v21_episode_stats(open_archive) -> None:
    source = open_archive(d.PICK_CUBE)
    for line in read_jsonl(source, "meta/episodes_stats.jsonl"):
        table = read_parquet(source, f"data/chunk-000/episode_{line['episode_index']:06d}.parquet")
        state = np.stack(table.column("observation.state").to_numpy(zero_copy_only=False))
        stats = line["stats"]["observation.state"]
        assert np.allclose(stats["min"], state.min(axis=0))
        assert np.allclose(stats["max"], state.max(axis=0))
        assert stats["count"] == [table.num_rows]
        assert line["stats"]["observation.images.front"]["mean"][0][0][0] > 0


@pytest.mark.parametrize("camera", ["front", "wrist"])
def test_v21_videos_decode(open_archive, camera: str) -> None:
    source = open_archive(d.PICK_CUBE)
    info = json.loads(source.read_bytes("meta/info.json"))
    declared = info["features"][f"observation.images.{camera}"]["info"]

    for episode in read_jsonl(source, "meta/episodes.jsonl"):
        name = f"videos/chunk-000/observation.images.{camera}/episode_{episode['episode_index']:06d}.mp4"
        frames, rate, codec, width, height = _decode(source, name)
        assert frames == episode["length"], name
        assert rate == declared["video.fps"] == FPS
        assert codec == declared["video.codec"] == "h264"
        assert (width, height) == (declared["video.width"], declared["video.height"]) == (96, 72)


def test_v30_layout_members(open_archive) -> None:
    source = open_archive(d.STACK_BLOCKS)

    assert source.names() == [
        "data/chunk-000/file-000.parquet",
        "meta/episodes/chunk-000/file-000.parquet",
        "meta/info.json",
        "meta/stats.json",
        "meta/tasks.parquet",
        "videos/observation.images.front/chunk-000/file-000.mp4",
        "videos/observation.images.top/chunk-000/file-000.mp4",
    ]


def test_v30_episode_ranges(open_archive) -> None:
    source = open_archive(d.STACK_BLOCKS)
    info = json.loads(source.read_bytes("meta/info.json"))
    data = read_parquet(source, "data/chunk-000/file-000.parquet")
    episodes = read_parquet(source, "meta/episodes/chunk-000/file-000.parquet").to_pylist()

    assert info["codebase_version"] == "v3.0"
    assert info["total_episodes"] == len(episodes) == 4
    assert info["total_frames"] == data.num_rows == sum(d.STACK_BLOCKS_LENGTHS)
    episode_index = data.column("episode_index").to_numpy()
    for episode in episodes:
        start, stop = episode["dataset_from_index"], episode["dataset_to_index"]
        assert stop - start == episode["length"]
        assert set(episode_index[start:stop]) == {episode["episode_index"]}
        assert data.column("frame_index").to_pylist()[start:stop] == list(range(episode["length"]))
        for camera in ("front", "top"):
            prefix = f"videos/observation.images.{camera}"
            assert episode[f"{prefix}/from_timestamp"] == pytest.approx(start / FPS)
            assert episode[f"{prefix}/to_timestamp"] == pytest.approx(stop / FPS)


def test_v30_tasks_and_stats(open_archive) -> None:
    source = open_archive(d.STACK_BLOCKS)
    tasks = read_parquet(source, "meta/tasks.parquet").to_pandas()
    stats = json.loads(source.read_bytes("meta/stats.json"))

    assert tasks.index.tolist() == ["Stack the green block on the blue block"]
    assert tasks["task_index"].tolist() == [0]
    assert stats["observation.state"]["count"] == [sum(d.STACK_BLOCKS_LENGTHS)]
    assert set(stats["timestamp"]) == {"min", "max", "mean", "std", "count", "q01", "q10", "q50", "q90", "q99"}


@pytest.mark.parametrize("camera", ["front", "top"])
def test_v30_video_frames(open_archive, camera: str) -> None:
    source = open_archive(d.STACK_BLOCKS)

    frames, rate, codec, _, _ = _decode(source, f"videos/observation.images.{camera}/chunk-000/file-000.mp4")

    assert frames == sum(d.STACK_BLOCKS_LENGTHS)
    assert rate == FPS
    assert codec == "h264"
