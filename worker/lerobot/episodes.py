"""Readers for the per-episode metadata of a LeRobot dataset.

v2.x lists episodes in ``meta/episodes.jsonl``, one JSON object per line
(``episode_index``, ``tasks``, ``length``). v3.0 stores them as Parquet
tables under ``meta/episodes/`` with, besides those, the data file of each
episode (``data/chunk_index``, ``data/file_index``), its global row range
(``dataset_from_index``, ``dataset_to_index``) and, per camera, the video
file and the span of the episode inside it
(``videos/<key>/chunk_index``, ``file_index``, ``from_timestamp``, ``to_timestamp``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from worker.archive.source import ArchiveError
from worker.faults import gate_side
from worker.lerobot.layout import LeRobotLayout, is_lfs_pointer

EPISODES_JSONL = "meta/episodes.jsonl"
EPISODES_V3_GLOB = "meta/episodes/**/*.parquet"
_CACHE_KEY = "lerobot.episodes"


class EpisodesError(ValueError):
    """The episodes metadata exists but cannot be read (the vendor's fault)."""


@dataclass(frozen=True)
class VideoSpan:
    """Location of one episode of one camera inside the v3.0 video files."""

    chunk_index: int | None
    file_index: int | None
    from_timestamp: float | None
    to_timestamp: float | None


@dataclass(frozen=True)
class EpisodeRecord:
    """One episode as the metadata declares it; v3.0-only fields are None for v2.x."""

    episode_index: int
    length: int | None
    tasks: tuple[str, ...] = ()
    data_chunk_index: int | None = None
    data_file_index: int | None = None
    dataset_from_index: int | None = None
    dataset_to_index: int | None = None
    videos: dict[str, VideoSpan] = field(default_factory=dict)
    member: str | None = None
    line: int | None = None


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    return int(value)


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)


def read_episodes_jsonl(data: bytes, member: str = EPISODES_JSONL) -> list[EpisodeRecord]:
    """Parse a v2.x ``episodes.jsonl``, raising `EpisodesError` naming the first bad line."""
    if is_lfs_pointer(data):
        raise EpisodesError(f"{member} is a Git LFS pointer file, not the episode list; fetch the LFS objects before packing")
    records = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise EpisodesError(f"{member} line {number} is not valid JSON: {error.msg}") from error
        except RecursionError as error:
            raise EpisodesError(f"{member} line {number} is not valid JSON: nested too deeply to parse") from error
        if not isinstance(row, dict) or not isinstance(row.get("episode_index"), int):
            raise EpisodesError(f"{member} line {number} has no integer episode_index")
        length = row.get("length")
        if length is not None and not isinstance(length, int):
            raise EpisodesError(f"{member} line {number}: length is {length!r}, expected an integer")
        tasks = row.get("tasks") or ()
        records.append(
            EpisodeRecord(
                episode_index=row["episode_index"],
                length=length,
                tasks=tuple(str(task) for task in tasks) if isinstance(tasks, list) else (str(tasks),),
                member=member,
                line=number,
            )
        )
    return records


def _video_keys_in(columns: list[str]) -> list[str]:
    prefix, suffix = "videos/", "/chunk_index"
    return [c[len(prefix): -len(suffix)] for c in columns if c.startswith(prefix) and c.endswith(suffix)]


def records_from_v3_table(table: pa.Table, member: str) -> list[EpisodeRecord]:
    """Build records from one v3.0 episodes table (statistics columns are not needed)."""
    columns = table.column_names
    if "episode_index" not in columns:
        raise EpisodesError(f"{member} has no episode_index column")
    rows = table.to_pydict()
    count = table.num_rows
    video_keys = _video_keys_in(columns)

    def column(name: str) -> list[Any]:
        return rows.get(name, [None] * count)

    records = []
    for i in range(count):
        videos = {
            key: VideoSpan(
                _int_or_none(column(f"videos/{key}/chunk_index")[i]),
                _int_or_none(column(f"videos/{key}/file_index")[i]),
                _float_or_none(column(f"videos/{key}/from_timestamp")[i]),
                _float_or_none(column(f"videos/{key}/to_timestamp")[i]),
            )
            for key in video_keys
        }
        tasks = column("tasks")[i] or ()
        records.append(
            EpisodeRecord(
                episode_index=int(column("episode_index")[i]),
                length=_int_or_none(column("length")[i]),
                tasks=tuple(str(task) for task in tasks) if isinstance(tasks, list) else (str(tasks),),
                data_chunk_index=_int_or_none(column("data/chunk_index")[i]),
                data_file_index=_int_or_none(column("data/file_index")[i]),
                dataset_from_index=_int_or_none(column("dataset_from_index")[i]),
                dataset_to_index=_int_or_none(column("dataset_to_index")[i]),
                videos=videos,
                member=member,
                line=i,
            )
        )
    return records


def _v3_columns(schema: pa.Schema) -> list[str]:
    # Per-episode statistics are most of the table and not needed here.
    return [name for name in schema.names if not name.startswith("stats/")]


def read_episodes_parquet(data: bytes, member: str) -> list[EpisodeRecord]:
    """Parse one v3.0 episodes Parquet file, raising `EpisodesError` when it is unreadable."""
    if is_lfs_pointer(data):
        raise EpisodesError(f"{member} is a Git LFS pointer file, not the episode table; fetch the LFS objects before packing")
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        table = parquet.read(columns=_v3_columns(parquet.schema_arrow))
    except (pa.ArrowException, OSError, ValueError) as error:
        if gate_side(error):
            raise
        raise EpisodesError(f"{member} is not a readable Parquet file: {error}") from error
    return records_from_v3_table(table, member)


def _read_member(source: Any, member: str) -> bytes:
    try:
        return source.read_bytes(member)
    except ArchiveError as error:
        raise EpisodesError(f"{member} cannot be read from the archive: {error}") from error


def read_episodes(source: Any, layout: LeRobotLayout) -> list[EpisodeRecord] | None:
    """Read the episodes metadata of the layout's version, or None when the files are absent.

    Records come back in file order (v3.0: files sorted by name), which is
    what `lerobot.episode_order` inspects.
    """
    if not layout.is_v3:
        member = layout.member(EPISODES_JSONL)
        if source.member(member) is None:
            return None
        return read_episodes_jsonl(_read_member(source, member), member)
    members = [m.name for m in source.glob(layout.member(EPISODES_V3_GLOB))]
    if not members:
        return None
    records: list[EpisodeRecord] = []
    for member in members:
        records.extend(read_episodes_parquet(_read_member(source, member), member))
    return records


def load_episodes(ctx: Any, layout: LeRobotLayout) -> list[EpisodeRecord] | None:
    """Return the episodes metadata, reading it once per dataset via `ctx.cache`.

    Raises the same `EpisodesError` on every call when the metadata is unreadable.
    """
    if _CACHE_KEY not in ctx.cache:
        try:
            ctx.cache[_CACHE_KEY] = read_episodes(ctx.source, layout)
        except EpisodesError as error:
            ctx.cache[_CACHE_KEY] = error
    cached = ctx.cache[_CACHE_KEY]
    if isinstance(cached, EpisodesError):
        raise cached
    return cached


def episode_lengths(records: list[EpisodeRecord]) -> dict[int, int]:
    """Map episode index to its declared length, leaving out records without one."""
    return {r.episode_index: r.length for r in records if r.length is not None}


TASKS_JSONL = "meta/tasks.jsonl"
TASKS_PARQUET = "meta/tasks.parquet"


def read_task_count(source: Any, layout: LeRobotLayout) -> tuple[str, int] | None:
    """Count the tasks in ``meta/tasks.jsonl`` (v2.x) or ``meta/tasks.parquet`` (v3.0).

    Returns the member and its count, or None when the file is absent; raises
    `EpisodesError` when it is unreadable.
    """
    member = layout.member(TASKS_PARQUET if layout.is_v3 else TASKS_JSONL)
    if source.member(member) is None:
        return None
    data = _read_member(source, member)
    if is_lfs_pointer(data):
        raise EpisodesError(f"{member} is a Git LFS pointer file, not the task list; fetch the LFS objects before packing")
    if not layout.is_v3:
        return member, sum(1 for line in data.splitlines() if line.strip())
    try:
        return member, pq.ParquetFile(pa.BufferReader(data)).metadata.num_rows
    except (pa.ArrowException, OSError) as error:
        if gate_side(error):
            raise
        raise EpisodesError(f"{member} is not a readable Parquet file: {error}") from error
