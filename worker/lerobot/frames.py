"""Columns of a LeRobot dataset's frame data, read in bulk from its Parquet files.

Checks ask for the columns they need, and each data file is read once per
batch of new columns. Every column is kept as one NumPy array over the whole
dataset, with the rows of all files concatenated in episode order. Per-episode
work is then a few vectorised passes instead of a loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from worker.archive.source import ArchiveError
from worker.faults import gate_side
from worker.lerobot.layout import LeRobotLayout, is_lfs_pointer

_CACHE_KEY = "lerobot.frames"
# Members up to this size are read into memory; larger ones are extracted so
# pyarrow can read only the requested column chunks from disk.
MAX_IN_MEMORY_BYTES = 64 * 1024 * 1024
THREADED_ROWS = 100_000


class ColumnError(ValueError):
    """A requested column cannot be turned into one array (missing or ragged)."""


@dataclass
class Groups:
    """Rows grouped by episode index, keeping each episode's rows in file order.

    `order` is a stable sort permutation of the rows by episode index; group
    ``g`` is ``order[starts[g]:starts[g] + counts[g]]``, the rows of episode
    ``episodes[g]``.
    """

    order: np.ndarray
    episodes: np.ndarray
    starts: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, episode_index: np.ndarray) -> Groups:
        order = np.argsort(episode_index, kind="stable")
        episodes, starts, counts = np.unique(episode_index[order], return_index=True, return_counts=True)
        return cls(order, episodes, starts, counts)

    def group_of_sorted_row(self) -> np.ndarray:
        """Return, for each row in sorted order, the number of its group."""
        return np.repeat(np.arange(len(self.episodes)), self.counts)

    def position_in_group(self) -> np.ndarray:
        """Return, for each row in sorted order, its position within its episode (0, 1, 2, ...)."""
        return np.arange(len(self.order)) - np.repeat(self.starts, self.counts)

    def is_first_in_group(self) -> np.ndarray:
        first = np.zeros(len(self.order), dtype=bool)
        first[self.starts] = True
        return first


@dataclass
class FrameData:
    """Frame data read so far: data files in episode order, their rows and columns.

    `unreadable` maps each data file that could not be read to the reason;
    its rows are absent from every column, so checks must report it.
    """

    members: list[str]
    unreadable: dict[str, str] = field(default_factory=dict)
    schemas: dict[str, pa.Schema] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    arrow: dict[str, dict[str, pa.ChunkedArray | None]] = field(default_factory=dict)
    _numpy: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def readable(self) -> list[str]:
        return [m for m in self.members if m not in self.unreadable]

    @property
    def num_rows(self) -> int:
        return sum(self.row_counts.values())

    def row_member(self) -> np.ndarray:
        """Return, per row, the position of its data file in `readable`."""
        counts = [self.row_counts[m] for m in self.readable]
        return np.repeat(np.arange(len(counts)), counts)

    def row_in_member(self) -> np.ndarray:
        """Return, per row, its row number inside its data file."""
        counts = np.array([self.row_counts[m] for m in self.readable], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else counts
        return np.arange(int(counts.sum())) - np.repeat(starts, counts)

    def members_missing(self, column: str) -> list[str]:
        """List the readable data files that lack a column."""
        return [m for m in self.readable if self.arrow.get(column, {}).get(m) is None]

    def array(self, column: str) -> np.ndarray:
        """Return one column over all readable rows: 1-D for scalars, rows x width for vectors.

        Raises `ColumnError` when a data file lacks the column or a list
        column's rows differ in width. Null scalars and list elements become NaN.
        """
        if column in self._numpy:
            return self._numpy[column]
        missing = self.members_missing(column)
        if missing:
            raise ColumnError(
                f"column {column} is missing from {len(missing)} of {len(self.readable)} data files, e.g. {missing[0]}"
            )
        parts = [_to_numpy(self.arrow[column][m], column, m) for m in self.readable]  # type: ignore[arg-type]
        widths = {p.shape[1:] for p in parts if len(p)}
        if len(widths) > 1:
            raise ColumnError(f"column {column} has rows of different widths across data files: {sorted(widths)}")
        result = np.concatenate(parts) if parts else np.empty(0)
        self._numpy[column] = result
        return result


def _to_numpy(chunked: pa.ChunkedArray, column: str, member: str) -> np.ndarray:
    array = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
    if pa.types.is_fixed_size_list(array.type):
        width = array.type.list_size
        values = array.values.slice(array.offset * width, len(array) * width)
        matrix = values.to_numpy(zero_copy_only=False).reshape(len(array), width)
        if array.null_count:
            matrix = matrix.astype(np.float64)
            matrix[~array.is_valid().to_numpy(zero_copy_only=False)] = np.nan
        return matrix
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        lengths = array.value_lengths().fill_null(0).to_numpy(zero_copy_only=False)
        if len(lengths) and lengths.min() != lengths.max():
            raise ColumnError(
                f"column {column} in {member} has rows of {lengths.min()} to {lengths.max()} values; "
                "every frame needs the same width"
            )
        width = int(lengths[0]) if len(lengths) else 0
        return array.flatten().to_numpy(zero_copy_only=False).reshape(len(array), width)
    return array.to_numpy(zero_copy_only=False)


def data_members(source: Any, layout: LeRobotLayout) -> list[str]:
    """List the data files present in the archive, sorted by the indices in their names."""
    found = []
    for member in source.glob(layout.data_glob()):
        indices = layout.data_file_indices(member.name)
        if indices is not None:
            found.append((tuple(indices.values()), member.name))
    return [name for _, name in sorted(found)]


class UnreadableParquet(ValueError):
    """A data member is not a Parquet file that pyarrow can read (the vendor's fault)."""


def open_parquet(source: Any, member: str) -> pq.ParquetFile:
    """Open one Parquet member, raising `UnreadableParquet` with the cause when it is not Parquet.

    ArchiveError from reading the member passes through (also the vendor's
    fault), and so does an OSError from the work dir, which is ours.
    """
    info = source.member(member)
    if info is not None and info.size > MAX_IN_MEMORY_BYTES:
        handle: Any = str(source.local_path(member))
        with open(handle, "rb") as file:
            head = file.read(64)
    else:
        data = source.read_bytes(member)
        head = data[:64]
        handle = pa.BufferReader(data)
    if is_lfs_pointer(head):
        raise UnreadableParquet("it is a Git LFS pointer file, not Parquet data")
    try:
        return pq.ParquetFile(handle)
    except (pa.ArrowException, OSError) as error:
        if gate_side(error):
            raise
        # pyarrow reports a bad footer as ArrowInvalid or as OSError; on an
        # in-memory buffer neither can be a disk fault.
        raise UnreadableParquet(f"it is not a readable Parquet file ({error})") from error


def _read_member(frames: FrameData, source: Any, member: str, columns: list[str]) -> None:
    try:
        parquet = open_parquet(source, member)
        schema = parquet.schema_arrow
        present = [c for c in columns if c in schema.names]
        # Thread start-up costs more than it saves on small files (twice the
        # time on 20-row episodes), so only large files are read in parallel.
        table = parquet.read(columns=present, use_threads=parquet.metadata.num_rows > THREADED_ROWS)
    except UnreadableParquet as error:
        frames.unreadable[member] = str(error)
        return
    except ArchiveError as error:
        frames.unreadable[member] = f"the archive member cannot be read ({error})"
        return
    except pa.ArrowException as error:
        if gate_side(error):
            raise
        frames.unreadable[member] = f"its row groups cannot be decoded ({error})"
        return
    frames.schemas[member] = schema
    frames.row_counts[member] = table.num_rows
    for column in columns:
        frames.arrow.setdefault(column, {})[member] = table.column(column) if column in present else None


def load_frames(ctx: Any, layout: LeRobotLayout, columns: list[str]) -> FrameData:
    """Return the dataset's frame data with at least `columns` read, sharing it via `ctx.cache`."""
    frames = ctx.cache.get(_CACHE_KEY)
    if frames is None:
        frames = FrameData(members=data_members(ctx.source, layout))
        ctx.cache[_CACHE_KEY] = frames
        # The first pass reads every declared data column, so the checks that
        # follow rarely need a second pass over all files.
        declared = [key for key, feature in layout.features.items() if not feature.is_visual]
        columns = list(dict.fromkeys(["episode_index", "frame_index", "index", "timestamp", *declared, *columns]))
        for member in frames.members:
            _read_member(frames, ctx.source, member, columns)
        return frames
    needed = [c for c in columns if c not in frames.arrow]
    if needed:
        for member in frames.readable:
            _read_member(frames, ctx.source, member, needed)
    return frames


def describe_unreadable(frames: FrameData) -> str:
    """Summarise the unreadable data files in one sentence with a count and an example."""
    member, reason = next(iter(frames.unreadable.items()))
    return (
        f"{len(frames.unreadable)} of {len(frames.members)} data files are unreadable "
        f"(e.g. {member}: {reason})"
    )
