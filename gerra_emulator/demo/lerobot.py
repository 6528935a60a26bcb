"""Write a `Recording` in the LeRobot dataset layouts v2.1 and v3.0.

Both functions return archive members as a dict of POSIX path to bytes. The
structure follows datasets recorded with LeRobot:

- v2.1: one Parquet file and one MP4 per camera for each episode, and
  `meta/info.json`, `meta/episodes.jsonl`, `meta/tasks.jsonl`,
  `meta/episodes_stats.jsonl`.
- v3.0: all episodes concatenated into `data/chunk-000/file-000.parquet` and one
  MP4 per camera, with per-episode row ranges and video time ranges in
  `meta/episodes/chunk-000/file-000.parquet`, plus `meta/tasks.parquet` and
  `meta/stats.json`.

`observation.state` and `action` are Arrow fixed_size_list<float32> columns whose
element names are listed in `meta/info.json`.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gerra_emulator.demo.recording import Episode, Recording, camera_frames
from gerra_emulator.demo.video import MP4_CODEC_NAME, PIXEL_FORMAT, channel_stats, encode_mp4

CHUNKS_SIZE = 1000
V30_QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
SCALAR_FEATURES = ("timestamp", "frame_index", "episode_index", "index", "task_index")

V21_DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
V21_VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"
V30_DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
V30_VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"


def video_key(camera: str) -> str:
    return f"observation.images.{camera}"


def v21_data_member(episode_index: int) -> str:
    return V21_DATA_PATH.format(episode_chunk=episode_index // CHUNKS_SIZE, episode_index=episode_index)


def v21_video_member(episode_index: int, camera: str) -> str:
    return V21_VIDEO_PATH.format(
        episode_chunk=episode_index // CHUNKS_SIZE, video_key=video_key(camera), episode_index=episode_index
    )


def v30_video_member(camera: str) -> str:
    return V30_VIDEO_PATH.format(video_key=video_key(camera), chunk_index=0, file_index=0)


def v21_members(recording: Recording) -> dict[str, bytes]:
    """Serialise `recording` in the LeRobot v2.1 layout."""
    members: dict[str, bytes] = {}
    episode_lines, stats_lines = [], []
    first_index = 0
    for episode in recording.episodes:
        table = episode_table(recording, episode, first_index)
        members[v21_data_member(episode.index)] = _parquet_bytes(table)
        stats = _table_stats(table, quantiles=())
        for camera in recording.cameras:
            frames = camera_frames(recording, episode, camera)
            members[v21_video_member(episode.index, camera)] = encode_mp4(frames, recording.fps)
            stats[video_key(camera)] = channel_stats(frames)
        episode_lines.append(
            {"episode_index": episode.index, "tasks": [recording.tasks[episode.task_index]], "length": episode.length}
        )
        stats_lines.append({"episode_index": episode.index, "stats": _ordered_stats(recording, stats)})
        first_index += episode.length

    info = {
        "codebase_version": "v2.1",
        "robot_type": recording.robot.robot_type,
        "total_episodes": len(recording.episodes),
        "total_frames": recording.total_frames,
        "total_tasks": len(recording.tasks),
        "total_videos": len(recording.episodes) * len(recording.cameras),
        "total_chunks": 1,
        "chunks_size": CHUNKS_SIZE,
        "fps": recording.fps,
        "splits": {"train": f"0:{len(recording.episodes)}"},
        "data_path": V21_DATA_PATH,
        "video_path": V21_VIDEO_PATH,
        "features": _features(recording),
    }
    members["meta/info.json"] = _json_bytes(info)
    members["meta/episodes.jsonl"] = _jsonl_bytes(episode_lines)
    members["meta/tasks.jsonl"] = _jsonl_bytes(
        [{"task_index": index, "task": task} for index, task in enumerate(recording.tasks)]
    )
    members["meta/episodes_stats.jsonl"] = _jsonl_bytes(stats_lines)
    return members


def v30_members(recording: Recording) -> dict[str, bytes]:
    """Serialise `recording` in the LeRobot v3.0 layout (one data file, one video file per camera)."""
    members: dict[str, bytes] = {}
    tables, rows = [], []
    camera_clips: dict[str, list[np.ndarray]] = {camera: [] for camera in recording.cameras}
    first_index = 0
    for episode in recording.episodes:
        table = episode_table(recording, episode, first_index)
        tables.append(table)
        stats = _table_stats(table, quantiles=V30_QUANTILES)
        row: dict[str, Any] = {
            "episode_index": episode.index,
            "tasks": [recording.tasks[episode.task_index]],
            "length": episode.length,
            "data/chunk_index": 0,
            "data/file_index": 0,
            "dataset_from_index": first_index,
            "dataset_to_index": first_index + episode.length,
        }
        for camera in recording.cameras:
            frames = camera_frames(recording, episode, camera)
            camera_clips[camera].append(frames)
            stats[video_key(camera)] = channel_stats(frames, V30_QUANTILES)
            row[f"videos/{video_key(camera)}/chunk_index"] = 0
            row[f"videos/{video_key(camera)}/file_index"] = 0
            row[f"videos/{video_key(camera)}/from_timestamp"] = first_index / recording.fps
            row[f"videos/{video_key(camera)}/to_timestamp"] = (first_index + episode.length) / recording.fps
        for feature, feature_stats in _ordered_stats(recording, stats).items():
            for name, values in feature_stats.items():
                row[f"stats/{feature}/{name}"] = values
        row["meta/episodes/chunk_index"] = 0
        row["meta/episodes/file_index"] = 0
        rows.append(row)
        first_index += episode.length

    data = pa.concat_tables(tables)
    members[V30_DATA_PATH.format(chunk_index=0, file_index=0)] = _parquet_bytes(data)
    for camera, clips in camera_clips.items():
        all_frames = np.concatenate(clips)
        members[v30_video_member(camera)] = encode_mp4(all_frames, recording.fps)
    members["meta/episodes/chunk-000/file-000.parquet"] = _parquet_bytes(pa.Table.from_pylist(rows))
    members["meta/tasks.parquet"] = _tasks_parquet(recording.tasks)
    members["meta/stats.json"] = _json_bytes(_dataset_stats(recording, data, camera_clips))
    info = {
        "codebase_version": "v3.0",
        "robot_type": recording.robot.robot_type,
        "total_episodes": len(recording.episodes),
        "total_frames": recording.total_frames,
        "total_tasks": len(recording.tasks),
        "chunks_size": CHUNKS_SIZE,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 500,
        "fps": recording.fps,
        "splits": {"train": f"0:{len(recording.episodes)}"},
        "data_path": V30_DATA_PATH,
        "video_path": V30_VIDEO_PATH,
        "features": _features(recording, vector_order=("action", "observation.state")),
    }
    members["meta/info.json"] = _json_bytes(info)
    return members


def episode_table(recording: Recording, episode: Episode, first_index: int) -> pa.Table:
    """Build an episode's rows as LeRobot stores them; `first_index` is the dataset-wide index of row 0."""
    rows = episode.length
    dof = recording.robot.dof
    columns = {
        "observation.state": _vector_column(episode.state, dof),
        "action": _vector_column(episode.action, dof),
        "timestamp": pa.array(episode.timestamps(recording.fps), pa.float32()),
        "frame_index": pa.array(np.arange(rows, dtype=np.int64)),
        "episode_index": pa.array(np.full(rows, episode.index, dtype=np.int64)),
        "index": pa.array(np.arange(first_index, first_index + rows, dtype=np.int64)),
        "task_index": pa.array(np.full(rows, episode.task_index, dtype=np.int64)),
    }
    table = pa.table(columns)
    return table.replace_schema_metadata({"huggingface": json.dumps(_huggingface_features(dof))})


def _vector_column(values: np.ndarray, dof: int) -> pa.FixedSizeListArray:
    flat = pa.array(np.ascontiguousarray(values, dtype=np.float32).reshape(-1), pa.float32())
    return pa.FixedSizeListArray.from_arrays(flat, dof)


def _huggingface_features(dof: int) -> dict[str, Any]:
    vector = {"feature": {"dtype": "float32", "_type": "Value"}, "length": dof, "_type": "Sequence"}
    return {
        "info": {
            "features": {
                "observation.state": vector,
                "action": vector,
                "timestamp": {"dtype": "float32", "_type": "Value"},
                "frame_index": {"dtype": "int64", "_type": "Value"},
                "episode_index": {"dtype": "int64", "_type": "Value"},
                "index": {"dtype": "int64", "_type": "Value"},
                "task_index": {"dtype": "int64", "_type": "Value"},
            }
        }
    }


def _features(
    recording: Recording, vector_order: tuple[str, str] = ("observation.state", "action")
) -> dict[str, Any]:
    # Feature order follows the recorded datasets this copies: action first in v3.0, observation.state in v2.1.
    robot = recording.robot
    features: dict[str, Any] = {}
    for name in vector_order:
        features[name] = {"dtype": "float32", "shape": [robot.dof], "names": list(robot.joint_names)}
    for camera in recording.cameras:
        features[video_key(camera)] = {
            "dtype": "video",
            "shape": [recording.frame_height, recording.frame_width, 3],
            "names": ["height", "width", "channels"],
            "info": {
                "video.height": recording.frame_height,
                "video.width": recording.frame_width,
                "video.codec": MP4_CODEC_NAME,
                "video.pix_fmt": PIXEL_FORMAT,
                "video.is_depth_map": False,
                "video.fps": recording.fps,
                "video.channels": 3,
                "has_audio": False,
            },
        }
    features["timestamp"] = {"dtype": "float32", "shape": [1], "names": None}
    for name in ("frame_index", "episode_index", "index", "task_index"):
        features[name] = {"dtype": "int64", "shape": [1], "names": None}
    return features


def _table_stats(table: pa.Table, quantiles: tuple[float, ...]) -> dict[str, dict[str, list]]:
    stats = {}
    for name in ("observation.state", "action"):
        column = table.column(name).combine_chunks()
        values = column.flatten().to_numpy(zero_copy_only=False).reshape(len(table), column.type.list_size)
        stats[name] = array_stats(values, quantiles)
    for name in SCALAR_FEATURES:
        stats[name] = array_stats(table.column(name).to_numpy()[:, None], quantiles)
    return stats


def array_stats(values: np.ndarray, quantiles: tuple[float, ...] = ()) -> dict[str, list]:
    """Compute LeRobot feature statistics of a (rows, dims) array, one list entry per dimension.

    NaN values are left out of min, max, mean, std and quantiles, because JSON
    cannot represent NaN. Count is the number of rows, NaN or not.
    """
    is_integer = np.issubdtype(values.dtype, np.integer)
    as_float = values.astype(np.float64)
    extreme = (lambda array: [int(v) for v in array]) if is_integer else (lambda array: [float(v) for v in array])
    stats = {
        "min": extreme(np.nanmin(as_float, axis=0)),
        "max": extreme(np.nanmax(as_float, axis=0)),
        "mean": [float(v) for v in np.nanmean(as_float, axis=0)],
        "std": [float(v) for v in np.nanstd(as_float, axis=0)],
        "count": [int(len(values))],
    }
    for quantile in quantiles:
        stats[f"q{round(quantile * 100):02d}"] = [float(v) for v in np.nanquantile(as_float, quantile, axis=0)]
    return stats


def _ordered_stats(recording: Recording, stats: dict[str, dict]) -> dict[str, dict]:
    order = ["observation.state", "action", *(video_key(c) for c in recording.cameras), *SCALAR_FEATURES]
    return {name: stats[name] for name in order}


def _dataset_stats(recording: Recording, data: pa.Table, camera_clips: dict[str, list[np.ndarray]]) -> dict:
    stats = _table_stats(data, V30_QUANTILES)
    for camera, clips in camera_clips.items():
        stats[video_key(camera)] = channel_stats(np.concatenate(clips), V30_QUANTILES)
    return _ordered_stats(recording, stats)


def _tasks_parquet(tasks: list[str]) -> bytes:
    # LeRobot v3.0 stores tasks as a pandas frame indexed by the task text.
    frame = pd.DataFrame({"task_index": np.arange(len(tasks), dtype=np.int64)}, index=pd.Index(tasks))
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow")
    return buffer.getvalue()


def _parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    return buffer.getvalue()


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=4, allow_nan=False) + "\n").encode()


def _jsonl_bytes(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line, allow_nan=False) + "\n" for line in lines).encode()
