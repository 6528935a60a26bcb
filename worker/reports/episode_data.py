"""Per-episode timing and lengths, and per-dimension value ranges, of a LeRobot dataset.

The report plots these instead of raw rows, so its size grows with the number
of episodes and dimensions, never with the number of frames. When the checks
already read the frame data (it sits in the check cache), it is reused.
Otherwise each data file is read on its own, aggregated and dropped, so
memory stays bounded by the largest data file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from worker.archive.errors import ArchiveError
from worker.lerobot.frames import ColumnError, FrameData, Groups, UnreadableParquet, data_members, open_parquet
from worker.lerobot.layout import LeRobotLayout

VECTOR_COLUMNS = ("observation.state", "action")
_FRAMES_CACHE_KEY = "lerobot.frames"


@dataclass
class EpisodeStats:
    """Aggregates of one episode: row count and the min, median and max timestamp step (seconds)."""

    rows: int = 0
    step_min: float | None = None
    step_median: float | None = None
    step_max: float | None = None
    # Steps behind the median, so a median from a larger part of a split episode wins.
    median_weight: int = 0


@dataclass
class DimensionStats:
    """Running min, max and non-finite count per dimension of one vector column."""

    names: list[str]
    low: np.ndarray
    high: np.ndarray
    non_finite: np.ndarray

    @classmethod
    def empty(cls, names: list[str]) -> DimensionStats:
        width = len(names)
        return cls(names, np.full(width, np.inf), np.full(width, -np.inf), np.zeros(width, dtype=np.int64))

    def update(self, matrix: np.ndarray) -> None:
        values = matrix.astype(np.float64, copy=False)
        finite = np.isfinite(values)
        self.non_finite += (~finite).sum(axis=0)
        if len(values):
            self.low = np.minimum(self.low, np.where(finite, values, np.inf).min(axis=0))
            self.high = np.maximum(self.high, np.where(finite, values, -np.inf).max(axis=0))

    def to_dict(self) -> dict[str, Any]:
        def finite_or_none(array: np.ndarray) -> list[float | None]:
            return [float(v) if np.isfinite(v) else None for v in array]

        return {
            "names": self.names,
            "min": finite_or_none(self.low),
            "max": finite_or_none(self.high),
            "non_finite": [int(v) for v in self.non_finite],
        }


@dataclass
class EpisodeSummary:
    """Everything the episode plots need, merged over the data files read."""

    fps: float
    episodes: dict[int, EpisodeStats] = field(default_factory=dict)
    dimensions: dict[str, DimensionStats] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    source: str = "cache"

    def add(self, episode_index: np.ndarray, timestamp: np.ndarray | None, vectors: dict[str, np.ndarray]) -> None:
        """Fold one block of rows (any episodes, any order) into the summary."""
        if len(episode_index) == 0:
            return
        groups = Groups.of(episode_index.astype(np.int64, copy=False))
        steps = _steps_by_episode(groups, timestamp) if timestamp is not None else None
        for g, episode in enumerate(groups.episodes):
            stats = self.episodes.setdefault(int(episode), EpisodeStats())
            stats.rows += int(groups.counts[g])
            if steps is not None:
                _merge_steps(stats, steps[g])
        for column, matrix in vectors.items():
            names = self.dimensions[column].names if column in self.dimensions else _default_names(column, matrix)
            self.dimensions.setdefault(column, DimensionStats.empty(names)).update(matrix)

    def to_dict(self, declared_lengths: dict[int, int] | None) -> dict[str, Any]:
        indices = sorted(self.episodes)
        stats = [self.episodes[i] for i in indices]
        return {
            "fps": self.fps,
            "source": self.source,
            "episodes": {
                "index": indices,
                "length": [s.rows for s in stats],
                "step_min": [s.step_min for s in stats],
                "step_median": [s.step_median for s in stats],
                "step_max": [s.step_max for s in stats],
            },
            "declared_lengths": {str(k): v for k, v in sorted((declared_lengths or {}).items())},
            "dimensions": {column: dims.to_dict() for column, dims in self.dimensions.items()},
            "unreadable": dict(list(self.unreadable.items())[:20]),
            "unreadable_count": len(self.unreadable),
        }


def _default_names(column: str, matrix: np.ndarray) -> list[str]:
    width = matrix.shape[1] if matrix.ndim == 2 else 1
    return [f"{column}[{i}]" for i in range(width)]


def _steps_by_episode(groups: Groups, timestamp: np.ndarray) -> list[np.ndarray]:
    ordered = timestamp[groups.order].astype(np.float64)
    return [np.diff(ordered[start:start + count]) for start, count in zip(groups.starts, groups.counts, strict=True)]


def _merge_steps(stats: EpisodeStats, steps: np.ndarray) -> None:
    steps = steps[np.isfinite(steps)]
    if len(steps) == 0:
        return
    low, high, median = float(steps.min()), float(steps.max()), float(np.median(steps))
    stats.step_min = low if stats.step_min is None else min(stats.step_min, low)
    stats.step_max = high if stats.step_max is None else max(stats.step_max, high)
    if len(steps) > stats.median_weight:
        stats.step_median = median
        stats.median_weight = len(steps)


def summarize_episodes(source: Any, cache: dict[str, Any], layout: LeRobotLayout) -> EpisodeSummary:
    """Summarise the frame data, from the check cache when the checks read it, else file by file."""
    summary = EpisodeSummary(fps=layout.fps)
    for column in VECTOR_COLUMNS:
        feature = layout.features.get(column)
        names = feature.element_names if feature is not None else None
        if names:
            summary.dimensions[column] = DimensionStats.empty(list(names))
    frames = cache.get(_FRAMES_CACHE_KEY)
    if isinstance(frames, FrameData) and "episode_index" in frames.arrow:
        _from_cached_frames(summary, frames)
    else:
        summary.source = "files"
        _from_files(summary, source, layout)
    return summary


def _from_cached_frames(summary: EpisodeSummary, frames: FrameData) -> None:
    summary.unreadable.update(frames.unreadable)
    try:
        episode_index = frames.array("episode_index")
    except ColumnError as error:
        summary.unreadable["episode_index"] = str(error)
        return
    timestamp = _optional_array(frames, "timestamp", summary)
    vectors = {}
    for column in VECTOR_COLUMNS:
        if column in frames.arrow:
            array = _optional_array(frames, column, summary)
            if array is not None:
                vectors[column] = array.reshape(len(array), -1)
    summary.add(episode_index, timestamp, _matching_widths(summary, vectors))


def _optional_array(frames: FrameData, column: str, summary: EpisodeSummary) -> np.ndarray | None:
    if column not in frames.arrow:
        return None
    try:
        return frames.array(column)
    except ColumnError as error:
        summary.unreadable[column] = str(error)
        return None


def _matching_widths(summary: EpisodeSummary, vectors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Drop declared dimension names whose count disagrees with the data, keeping the data."""
    for column, matrix in vectors.items():
        declared = summary.dimensions.get(column)
        if declared is not None and len(declared.names) != matrix.shape[1]:
            del summary.dimensions[column]
    return vectors


def _from_files(summary: EpisodeSummary, source: Any, layout: LeRobotLayout) -> None:
    wanted = ["episode_index", "timestamp", *VECTOR_COLUMNS]
    for member in data_members(source, layout):
        try:
            parquet = open_parquet(source, member)
            present = [c for c in wanted if c in parquet.schema_arrow.names]
            table = parquet.read(columns=present)
        except (UnreadableParquet, ArchiveError, pa.ArrowException) as error:
            # The checks report unreadable data files, so the plot only notes them.
            summary.unreadable[member] = str(error)
            continue
        if "episode_index" not in table.column_names:
            summary.unreadable[member] = "no episode_index column"
            continue
        episode_index = table.column("episode_index").to_numpy()
        timestamp = table.column("timestamp").to_numpy() if "timestamp" in table.column_names else None
        vectors = {}
        for column in VECTOR_COLUMNS:
            if column in table.column_names:
                matrix = _vector_matrix(table.column(column))
                if matrix is not None:
                    vectors[column] = matrix
        summary.add(episode_index, timestamp, _matching_widths(summary, vectors))


def _vector_matrix(column: pa.ChunkedArray) -> np.ndarray | None:
    """Turn a list column into rows x width floats, or None when its rows differ in width."""
    array = column.combine_chunks()
    if pa.types.is_fixed_size_list(array.type):
        # `values` keeps the slots of null rows, which `flatten()` would drop.
        width = array.type.list_size
        values = array.values.slice(array.offset * width, len(array) * width)
        matrix = values.to_numpy(zero_copy_only=False).astype(np.float64).reshape(len(array), width)
        if array.null_count:
            matrix[~array.is_valid().to_numpy(zero_copy_only=False)] = np.nan
        return matrix
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        lengths = array.value_lengths().fill_null(0).to_numpy(zero_copy_only=False)
        if len(lengths) == 0 or lengths.min() != lengths.max():
            return None
        values = array.flatten().to_numpy(zero_copy_only=False).astype(np.float64)
        return values.reshape(len(array), int(lengths[0]))
    if pa.types.is_floating(array.type) or pa.types.is_integer(array.type):
        return array.to_numpy(zero_copy_only=False).astype(np.float64).reshape(-1, 1)
    return None
